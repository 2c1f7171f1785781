// bigWig writer. File layout, as bedGraphToBigWig writes it:
//   header | zoom headers (slots reserved up front) | total summary |
//   chrom B+ tree | u64 section count, data blocks | R-tree |
//   per zoom level: u32 record count, record blocks | R-tree
// The fixed parts at the front are written as zeros first and patched at
// the end, once the offsets are known; everything else is written once, in
// order, so beyond the input the writer holds one batch of blocks, the block
// index, and at most two zoom levels.
#include "bwl/writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "core/bbi_write.hpp"
#include "core/thread_pool.hpp"
#include "core/zoom_builder.hpp"

namespace bwl {
namespace {

constexpr size_t kMaxThreads = 16;                                           // compression threads
constexpr uint32_t kMaxItemsPerSlot = std::numeric_limits<uint16_t>::max();  // itemCount is u16
constexpr double kFirstReductionSpans = 10;  // bedGraphToBigWig: the first zoom candidate is 10 x the mean span

// ---- data sections ---------------------------------------------------------

struct Section {
    uint32_t chrom_id;
    size_t begin, end;  // item range
};

uint32_t span_of(const ChromData& c, size_t i) { return c.end[i] - c.start[i]; }

// End of the section starting at item i: at most max items, and for
// variableStep equal spans, for fixedStep equal spans and steps.
size_t section_end(const ChromData& c, size_t i, uint8_t type, size_t max) {
    size_t n = std::min(c.start.size(), i + max), j = i + 1;
    if (type == kBedGraph) return n;
    uint32_t span = span_of(c, i);
    uint32_t step = j < n ? c.start[j] - c.start[i] : 0;
    while (j < n && span_of(c, j) == span && (type == kVariableStep || c.start[j] - c.start[j - 1] == step)) ++j;
    return j;
}

std::vector<Section> plan_sections(const ChromsById& chroms, uint8_t type, size_t max) {
    std::vector<Section> out;
    for (uint32_t id = 0; id < chroms.size(); ++id) {
        const ChromData& c = *chroms[id];
        for (size_t i = 0; i < c.start.size();) {
            size_t j = section_end(c, i, type, max);
            out.push_back({id, i, j});
            i = j;
        }
    }
    return out;
}

// Section header (24 bytes) and items. Single-item fixedStep sections get
// step = span, which no reader uses.
void encode_section(Bytes& b, const ChromData& c, const Section& s, uint8_t type) {
    size_t i = s.begin, count = s.end - s.begin;
    uint32_t span = type == kBedGraph ? 0 : span_of(c, i);
    uint32_t step = type != kFixedStep ? 0 : count > 1 ? c.start[i + 1] - c.start[i] : span;
    b.clear();
    b.u32(s.chrom_id);
    b.u32(c.start[i]);
    b.u32(c.end[s.end - 1]);
    b.u32(step);
    b.u32(span);
    b.u8(type);
    b.u8(0);
    b.u16(uint16_t(count));
    for (size_t k = i; k < s.end; ++k) {
        if (type != kFixedStep) b.u32(c.start[k]);
        if (type == kBedGraph) b.u32(c.end[k]);
        b.f32(c.value[k]);
    }
}

// ---- validation ----------------------------------------------------------

[[noreturn]] void bad(const std::string& path, const std::string& what) { throw RangeError(path + ": " + what); }

void check_options(const std::string& path, const WriteOptions& o) {
    if (o.type != kBedGraph && o.type != kVariableStep && o.type != kFixedStep)
        bad(path,
            "section type must be 1 (bedGraph), 2 (variableStep) or 3 (fixedStep), got " + std::to_string(o.type));
    if (o.items_per_slot < 1 || o.items_per_slot > kMaxItemsPerSlot)
        bad(path, "items per section must be in 1..65535, got " + std::to_string(o.items_per_slot));
    if (o.block_size < 2 || o.block_size > kMaxItemsPerSlot)
        bad(path, "block size must be in 2..65535, got " + std::to_string(o.block_size));
    if (o.zoom_levels < -1) bad(path, "zoom levels must be -1 (automatic) or >= 0");
}

[[noreturn]] void bad_interval(const std::string& path, const ChromData& c, size_t i, const std::string& what) {
    bad(path, "chrom '" + c.name + "' interval " + std::to_string(i) + " [" + std::to_string(c.start[i]) + ", " +
                  std::to_string(c.end[i]) + "): " + what);
}

void check_chrom(const std::string& path, const ChromData& c, bool allow_overlap) {
    std::string where = "chrom '" + c.name + "'";
    if (c.name.empty()) bad(path, "empty chrom name");
    if (c.name.find('\0') != std::string::npos) bad(path, where + ": name contains a NUL byte");
    if (c.name.size() > kMaxKeySize) bad(path, where + ": name longer than 1 MiB");
    size_t n = c.start.size();
    if (c.end.size() != n || c.value.size() != n)
        bad(path, where + ": starts, ends and values have different lengths (" + std::to_string(n) + ", " +
                      std::to_string(c.end.size()) + ", " + std::to_string(c.value.size()) + ")");
    for (size_t i = 0; i < n; ++i) {
        if (c.start[i] >= c.end[i]) bad_interval(path, c, i, "start >= end");
        if (c.end[i] > c.size) bad_interval(path, c, i, "end past chrom size " + std::to_string(c.size));
        if (i > 0 && c.start[i] < c.start[i - 1]) bad_interval(path, c, i, "intervals not sorted by start");
        if (i > 0 && c.start[i] < c.end[i - 1] && !allow_overlap)
            bad_interval(path, c, i, "overlaps the previous interval");
        if (std::isnan(c.value[i])) bad_interval(path, c, i, "value is NaN (leave the interval out instead)");
    }
}

// Validates every chrom and orders them bytewise by name: that order is
// the chrom id order the B+ tree needs.
ChromsById sort_and_check(const std::string& path, const std::vector<ChromData>& chroms, bool allow_overlap) {
    ChromsById out;
    for (const ChromData& c : chroms) {
        check_chrom(path, c, allow_overlap);
        out.push_back(&c);
    }
    std::sort(out.begin(), out.end(), [](const ChromData* a, const ChromData* b) { return a->name < b->name; });
    for (size_t i = 1; i < out.size(); ++i)
        if (out[i]->name == out[i - 1]->name) bad(path, "duplicate chrom name '" + out[i]->name + "'");
    return out;
}

// ---- the whole file ----------------------------------------------------------

class Writer {
public:
    Writer(OutFile& out, const ChromsById& chroms, const WriteOptions& opt)
        : out_(out),
          chroms_(chroms),
          opt_(opt),
          pool_(std::min<size_t>(kMaxThreads, std::max(1u, std::thread::hardware_concurrency()))) {}

    void run() {
        const bool big = opt_.big_endian;
        int max_levels = opt_.zoom_levels < 0 ? kMaxZoomLevels : std::min(opt_.zoom_levels, kMaxZoomLevels);
        Bytes front(big);
        front.zeros(kHeaderSize + size_t(max_levels) * kZoomHeaderSize + kTotalSummarySize);
        out_.write(front);
        HeaderOut h{};
        h.magic = kBigWigMagic;
        h.summary_offset = kHeaderSize + uint64_t(max_levels) * kZoomHeaderSize;
        h.chrom_tree_offset = out_.tell();
        std::vector<ChromKey> keys;  // ids are positions in the bytewise name order
        for (uint32_t id = 0; id < chroms_.size(); ++id) keys.push_back({chroms_[id]->name, id, chroms_[id]->size});
        write_chrom_tree(out_, keys, opt_.block_size, big);
        h.data_offset = out_.tell();
        uint64_t max_raw = 0;
        std::vector<BlockEntry> blocks = write_data(max_raw);
        h.index_offset = out_.tell();
        uint32_t first = initial_reduction(chroms_, h.index_offset - h.data_offset - 8, opt_.compress,
                                           kFirstReductionSpans * average_span(chroms_));
        write_rtree(out_, blocks, opt_.block_size, 1, h.index_offset, big);
        auto zooms = write_zooms(out_, pool_, chroms_, first, max_levels, opt_.compress, opt_.items_per_slot,
                                 opt_.block_size, big);
        // Readers size their inflate buffer from this; zoom blocks hold at
        // most items_per_slot records.
        if (opt_.compress)
            h.uncompress_buf = uint32_t(std::max<uint64_t>(max_raw, uint64_t(opt_.items_per_slot) * kZoomRecordSize));
        h.zoom_levels = uint16_t(zooms.size());
        front.clear();
        put_header(front, h);
        put_zoom_headers(front, zooms, max_levels);
        put_total_summary(front, chroms_);
        out_.patch(0, front);
    }

private:
    // u64 section count, then the sections' blocks; max_raw: the largest raw block.
    std::vector<BlockEntry> write_data(uint64_t& max_raw) {
        std::vector<Section> sections = plan_sections(chroms_, opt_.type, opt_.items_per_slot);
        Bytes b(opt_.big_endian);
        b.u64(sections.size());
        out_.write(b);
        BlockSink sink(out_, opt_.compress, pool_);
        for (const Section& s : sections) {
            const ChromData& c = *chroms_[s.chrom_id];
            encode_section(b, c, s, opt_.type);
            max_raw = std::max<uint64_t>(max_raw, b.size());
            sink.add(b, Bounds{s.chrom_id, c.start[s.begin], s.chrom_id, c.end[s.end - 1]});
        }
        return sink.finish();
    }

    OutFile& out_;
    const ChromsById& chroms_;
    const WriteOptions& opt_;
    ThreadPool pool_;  // compression
};

}  // namespace

void write_bigwig(const std::string& path, const std::vector<ChromData>& chroms, const WriteOptions& opt) {
    check_options(path, opt);
    ChromsById by_id = sort_and_check(path, chroms, opt.allow_overlap);
    write_or_remove(path, [&](OutFile& out) { Writer(out, by_id, opt).run(); });
}

}  // namespace bwl
