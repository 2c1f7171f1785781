// bigBed writer. File layout, as bedToBigBed writes it (always little-endian):
//   header | 10 zoom headers | autoSql text, NUL | total summary |
//   extension header | chrom B+ tree (the chroms used) |
//   u64 record count, data blocks | R-tree | zoom levels | magic
// Chrom ids follow the order chroms first appear in the BED (which must be
// sorted by chrom, then start); the zoom levels and total summary describe
// the coverage depth, the "value" bigBed readers summarise.
#include "bwl/bigbed_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "bwl/error.hpp"
#include "bwl/writer.hpp"
#include "core/autosql.hpp"
#include "core/bbi_write.hpp"
#include "core/text_lines.hpp"
#include "core/text_num.hpp"
#include "core/zoom_builder.hpp"

namespace bwl {

namespace {

constexpr int kMaxFields = 256;            // bedToBigBed: "Too many columns"
constexpr size_t kMaxStringField = 255;    // name and autoSql string fields
constexpr double kMinFirstReduction = 10;  // bbiCalcResScalesAndSizes' minZoom
constexpr uint32_t kMaxU16 = std::numeric_limits<uint16_t>::max();
constexpr size_t kMaxThreads = 16;  // compression threads

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Fields of a line: at tabs (-tab, empty fields kept) or at runs of blanks.
void split(std::string_view line, bool tab, std::vector<std::string_view>& f) {
    f.clear();
    if (tab) {
        for (size_t at = 0;;) {
            size_t t = line.find('\t', at);
            f.push_back(line.substr(at, t == std::string_view::npos ? std::string_view::npos : t - at));
            if (t == std::string_view::npos) return;
            at = t + 1;
        }
    }
    for (size_t i = 0; i < line.size();) {
        while (i < line.size() && is_blank(line[i])) ++i;
        size_t j = i;
        while (j < line.size() && !is_blank(line[j])) ++j;
        if (j > i) f.push_back(line.substr(i, j - i));
        i = j;
    }
}

// Lines without records: blank ones, comments, and track/browser lines.
bool skip_line(std::string_view line) {
    size_t i = 0;
    while (i < line.size() && is_blank(line[i])) ++i;
    line.remove_prefix(i);
    return line.empty() || line[0] == '#' || line.substr(0, 6) == "track " || line.substr(0, 8) == "browser " ||
           line == "track" || line == "browser";
}

bool to_u32(std::string_view s, uint32_t* v) {
    int64_t x;
    if (!to_int(s, &x) || x < 0 || x > int64_t(std::numeric_limits<uint32_t>::max())) return false;
    *v = uint32_t(x);
    return true;
}

bool is_int_type(const std::string& t) {
    return t == "int" || t == "uint" || t == "short" || t == "ushort" || t == "byte" || t == "ubyte" || t == "bigint";
}

// Runs of equal coverage depth over one chromosome, from records in start
// order: the ends of the records still open wait in a min-heap.
class CoverageSweep {
public:
    explicit CoverageSweep(ChromData& out) : out_(out) {}
    void add(uint32_t s, uint32_t e) {
        advance(s);
        if (e <= s) return;  // zero-length records cover nothing
        if (open_.empty()) at_ = s;
        open_.push(e);
    }
    void finish() { advance(std::numeric_limits<uint32_t>::max()); }

private:
    void advance(uint32_t to) {
        while (!open_.empty() && open_.top() <= to) {
            uint32_t t = open_.top();
            emit(at_, t, open_.size());
            at_ = t;
            while (!open_.empty() && open_.top() == t) open_.pop();
        }
        if (!open_.empty()) {
            emit(at_, to, open_.size());
            at_ = to;
        }
    }
    void emit(uint32_t a, uint32_t b, size_t depth) {
        if (a >= b) return;
        float d = float(depth);
        if (!out_.end.empty() && out_.end.back() == a && out_.value.back() == d) {
            out_.end.back() = b;
            return;
        }
        out_.start.push_back(a);
        out_.end.push_back(b);
        out_.value.push_back(d);
    }

    ChromData& out_;
    std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<uint32_t>> open_;
    uint32_t at_ = 0;
};

}  // namespace

struct BedToBigBed::Impl {
    Impl(const std::string& path, const std::vector<std::pair<std::string, uint32_t>>& sizes, const BigBedOptions& o)
        : opt(o), text(path) {
        for (const auto& [name, size] : sizes)
            if (!chrom_size.emplace(name, size).second) throw RangeError("chrom.sizes lists '" + name + "' twice");
        if (opt.bed_n != 0 && (opt.bed_n < 3 || opt.bed_n > kBedKnownFields))
            throw RangeError("bed type must be bed3 .. bed15, got bed" + std::to_string(opt.bed_n));
        if (opt.block_size < 2 || opt.block_size > kMaxU16)
            throw RangeError("block size must be in 2..65535, got " + std::to_string(opt.block_size));
        if (opt.items_per_slot < 1 || opt.items_per_slot > kMaxU16)
            throw RangeError("items per slot must be in 1..65535, got " + std::to_string(opt.items_per_slot));
        if (!opt.autosql.empty()) {
            if (opt.bed_n == 0)
                throw RangeError(
                    "an autoSql (.as) needs the bed type too (bedN or bedN+P), "
                    "so that the number of standard BED columns is known");
            set_schema(opt.autosql, "the autoSql (.as)");
        } else if (opt.bed_n != 0 && opt.bed_plus >= 0) {
            set_schema(bed_autosql(opt.bed_n, opt.bed_n + opt.bed_plus), "bedAsDef");
        }
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(text.path() + ":" + std::to_string(text.line_no()) + ": " + what);
    }

    void set_schema(const std::string& as, const std::string& label) {
        autosql = as;
        columns = parse_autosql(as, label);
        if (int(columns.size()) < opt.bed_n)
            throw FormatError(label + ": has " + std::to_string(columns.size()) + " columns, fewer than bed" +
                              std::to_string(opt.bed_n) + " needs");
        if (columns.size() > size_t(kMaxFields)) throw FormatError(label + ": more than 256 columns");
        for (int i = 0; i < opt.bed_n; ++i) {
            const std::string& n = columns[size_t(i)].name;
            if (n != bed_column_name(i) && !(i == 8 && n == "itemRgb"))
                throw FormatError(label + ": column " + std::to_string(i + 1) + " is '" + n + "', bed" +
                                  std::to_string(opt.bed_n) + " has '" + bed_column_name(i) + "' there");
        }
    }

    // The schema from the first record when the type did not fix it.
    void sniff(size_t n) {
        if (opt.bed_n == 0) {
            if (n < 3) fail("a BED line needs chrom, start, end");
            if (n > size_t(kMaxFields)) fail("more than 256 columns: is this a BED file?");
            opt.bed_n = int(std::min<size_t>(n, kBedKnownFields));
            opt.bed_plus = int(n) - opt.bed_n;
        } else {
            opt.bed_plus = std::max(0, int(n) - opt.bed_n);
        }
        set_schema(bed_autosql(opt.bed_n, opt.bed_n + opt.bed_plus), "bedAsDef");
    }

    // ---- pass 1 ---------------------------------------------------------------

    void check_line(std::string_view line) {
        if (skip_line(line)) return;
        split(line, opt.tab, f);
        if (columns.empty()) sniff(f.size());
        if (f.size() != columns.size())
            fail("expected " + std::to_string(columns.size()) + " fields, found " + std::to_string(f.size()));
        std::string_view chrom = f[0];
        uint32_t s, e;
        if (!to_u32(f[1], &s) || !to_u32(f[2], &e)) fail("start and end must be integers in 0..2^32-1");
        if (e < s) fail("start after end (" + std::to_string(s) + " > " + std::to_string(e) + ")");
        if (usages.empty() || chrom != usages.back().name) new_chrom(chrom);
        Usage& u = usages.back();
        if (e > u.size)
            fail("end " + std::to_string(e) + " is past the end of " + u.name + " (" + std::to_string(u.size) + ")");
        if (u.records && s < last_start)
            fail("not sorted: start " + std::to_string(s) + " after " + std::to_string(last_start) +
                 " (sort with `LC_ALL=C sort -k1,1 -k2,2n`)");
        last_start = s;
        check_bed_fields(s, e);
        check_plus_fields();
        ++u.records;
        ++records;
        item_bases += e - s;
        sweep->add(s, e);
    }

    void new_chrom(std::string_view chrom) {
        std::string name(chrom);
        auto it = chrom_size.find(name);
        if (it == chrom_size.end()) fail("chromosome '" + name + "' is not in chrom.sizes");
        if (!seen.emplace(name, uint32_t(usages.size())).second)
            fail("not sorted: '" + name +
                 "' appears again after other chromosomes "
                 "(sort with `LC_ALL=C sort -k1,1 -k2,2n`)");
        if (sweep) sweep->finish();
        usages.push_back({name, it->second, 0});
        coverage.push_back(ChromData{name, it->second, {}, {}, {}});
        sweep = std::make_unique<CoverageSweep>(coverage.back());
    }

    // The standard fields' rules, as UCSC's loadAndValidateBed checks them.
    void check_bed_fields(uint32_t s, uint32_t e) {
        const int n = opt.bed_n;
        int64_t v;
        if (n > 3 && f[3].size() > kMaxStringField) fail("name longer than 255 characters");
        if (n > 4 && (!to_int(f[4], &v) || v < 0 || v > 1000))
            fail("score must be an integer in 0..1000, got '" + std::string(f[4]) + "'");
        if (n > 5 && (f[5].size() != 1 || (f[5][0] != '+' && f[5][0] != '-' && f[5][0] != '.')))
            fail("strand must be +, - or ., got '" + std::string(f[5]) + "'");
        if (n > 7) {
            uint32_t ts, te;
            if (!to_u32(f[6], &ts) || !to_u32(f[7], &te)) fail("thickStart and thickEnd must be integers");
            if (te < ts) fail("thickStart after thickEnd");
            if ((ts != 0 && (ts < s || ts > e)) || (te != 0 && (te < s || te > e)))
                fail("thickStart and thickEnd must lie in chromStart..chromEnd (or be 0)");
        } else if (n > 6 && !to_int(f[6], &v)) {
            fail("thickStart must be an integer");
        }
        if (n > 8 && !check_rgb(f[8]))
            fail("itemRgb must be an integer or r,g,b in 0..255, got '" + std::string(f[8]) + "'");
        if (n > 9) check_blocks(s, e);
        if (n > 12) {
            int64_t count;
            if (!to_int(f[12], &count) || count < 1) fail("expCount must be an integer >= 1");
            if (n > 13 && (!to_int_list(f[13], &list) || int64_t(list.size()) != count))
                fail("expIds must list expCount integers");
            if (n > 14 && count_numbers(f[14]) != count) fail("expScores must list expCount numbers");
        }
    }

    bool check_rgb(std::string_view x) {
        int64_t v;
        if (x.find(',') == std::string_view::npos) return to_int(x, &v);
        if (!to_int_list(x, &list) || list.size() != 3) return false;
        return std::all_of(list.begin(), list.end(), [](int64_t c) { return c >= 0 && c <= 255; });
    }

    void check_blocks(uint32_t s, uint32_t e) {
        const int n = opt.bed_n;
        int64_t count;
        if (!to_int(f[9], &count) || count < 1) fail("blockCount must be an integer >= 1");
        if (n <= 10) return;
        if (!to_int_list(f[10], &sizes) || int64_t(sizes.size()) != count)
            fail("blockSizes must list blockCount integers");
        for (int64_t b : sizes)
            if (b <= 0) fail("blockSizes must be > 0");
        if (n <= 11) return;
        if (!to_int_list(f[11], &list) || int64_t(list.size()) != count)
            fail("chromStarts must list blockCount integers");
        if (list[0] != 0) fail("chromStarts[0] must be 0: blocks span chromStart to chromEnd");
        const int64_t slack = opt.allow_1bp_overlap ? 1 : 0;
        for (size_t i = 1; i < list.size(); ++i) {
            if (list[i] + int64_t(s) >= int64_t(e))
                fail(list[i] >= int64_t(s) ? "chromStarts must be relative to chromStart, not absolute"
                                           : "a block starts at or past chromEnd");
            if (list[i] < list[i - 1] + sizes[i - 1] - slack)
                fail("blocks " + std::to_string(i - 1) + " and " + std::to_string(i) + " overlap or are out of order");
        }
        if (int64_t(s) + list.back() + sizes.back() != int64_t(e))
            fail("the last block must end at chromEnd (chromStart + chromStarts[last] + blockSizes[last])");
    }

    // The extra fields against their autoSql types (lists and other types unchecked).
    void check_plus_fields() {
        for (size_t i = size_t(opt.bed_n); i < columns.size(); ++i) {
            const AsColumn& c = columns[i];
            if (c.list) continue;
            int64_t v;
            if (is_int_type(c.type)) {
                if (!to_int(f[i], &v) || (c.type[0] == 'u' && v < 0))
                    fail(c.name + " must be " + (c.type[0] == 'u' ? "a non-negative" : "an") + " integer, got '" +
                         std::string(f[i]) + "'");
            } else if (c.type == "float" || c.type == "double") {
                if (count_numbers(f[i]) != 1) fail(c.name + " must be a number, got '" + std::string(f[i]) + "'");
            } else if (c.type == "string" && f[i].size() > kMaxStringField) {
                fail(c.name + " longer than 255 characters");
            }
        }
    }

    // Elements of a comma-separated number list; -1 if one is not a number.
    static int64_t count_numbers(std::string_view x) {
        int64_t n = 0;
        while (!x.empty()) {
            size_t comma = x.find(',');
            std::string one(x.substr(0, comma));
            char* stop = nullptr;
            std::strtod(one.c_str(), &stop);
            if (one.empty() || stop != one.c_str() + one.size()) return -1;
            ++n;
            if (comma == std::string_view::npos) break;
            x.remove_prefix(comma + 1);
        }
        return n;
    }

    // ---- pass 2 -----------------------------------------------------------------

    void write(OutFile& out) {
        constexpr int kZoomSlots = kMaxZoomLevels;  // bedToBigBed reserves all ten
        ThreadPool pool(std::min<size_t>(kMaxThreads, std::max(1u, std::thread::hardware_concurrency())));
        Bytes b(false);
        HeaderOut h{};
        h.magic = kBigBedMagic;
        h.field_count = uint16_t(columns.size());
        h.defined_field_count = uint16_t(opt.bed_n);
        b.zeros(kHeaderSize + size_t(kZoomSlots) * kZoomHeaderSize);
        h.autosql_offset = b.size();
        b.raw(autosql.data(), autosql.size());
        b.u8(0);
        h.summary_offset = b.size();
        b.zeros(kTotalSummarySize);
        h.extension_offset = b.size();
        b.u16(kExtensionHeaderSize);
        b.u16(0);  // extraIndexCount
        b.u64(0);  // extraIndexListOffset
        b.zeros(kExtensionHeaderSize - 12);
        out.write(b);

        h.chrom_tree_offset = out.tell();
        std::vector<ChromKey> keys;
        for (uint32_t id = 0; id < usages.size(); ++id) keys.push_back({usages[id].name, id, usages[id].size});
        std::sort(keys.begin(), keys.end(), [](const ChromKey& x, const ChromKey& y) { return x.name < y.name; });
        write_chrom_tree(out, keys, opt.block_size, false);

        h.data_offset = out.tell();
        uint64_t max_block = 0;
        std::vector<BlockEntry> blocks = write_records(out, pool, max_block);
        h.index_offset = out.tell();
        write_rtree(out, blocks, opt.block_size, 1, h.index_offset, false);

        ChromsById cov;
        for (const ChromData& c : coverage) cov.push_back(&c);
        double mean_size = records ? std::floor(double(item_bases) / double(records)) : 0;
        uint32_t first = initial_reduction(cov, h.index_offset - h.data_offset, opt.compress,
                                           std::max(kMinFirstReduction, mean_size));
        auto zooms =
            write_zooms(out, pool, cov, first, kZoomSlots, opt.compress, opt.items_per_slot, opt.block_size, false);
        b.clear();
        b.u32(kBigBedMagic);  // bedToBigBed ends the file with the magic too
        out.write(b);

        if (opt.compress)
            h.uncompress_buf = uint32_t(std::max<uint64_t>(max_block, uint64_t(opt.items_per_slot) * kZoomRecordSize));
        h.zoom_levels = uint16_t(zooms.size());
        b.clear();
        put_header(b, h);
        put_zoom_headers(b, zooms, kZoomSlots);
        out.patch(0, b);
        b.clear();
        put_total_summary(b, cov);
        out.patch(h.summary_offset, b);
    }

    // u64 record count, then blocks of up to items_per_slot records of one
    // chrom: chromId, start, end (u32) and the other fields tab-joined, NUL.
    std::vector<BlockEntry> write_records(OutFile& out, ThreadPool& pool, uint64_t& max_block) {
        Bytes b(false);
        b.u64(records);
        out.write(b);
        b.clear();
        BlockSink sink(out, opt.compress, pool);
        text.rewind();
        auto changed = [&]() -> IoError {
            return IoError(text.path() + ": changed while it was being converted (line " +
                           std::to_string(text.line_no()) + ")");
        };
        uint32_t chrom = 0, n = 0;
        Bounds bounds{};
        uint64_t seen_records = 0;
        std::string_view chrom_name;
        auto flush = [&] {
            if (!n) return;
            max_block = std::max<uint64_t>(max_block, b.size());
            sink.add(b, bounds);
            b.clear();
            n = 0;
        };
        for (bool more = true; more;) {
            more = text.step(16 << 20, [&](std::string_view line) {
                if (skip_line(line)) return;
                split(line, opt.tab, f);
                uint32_t s, e;
                if (f.size() != columns.size() || !to_u32(f[1], &s) || !to_u32(f[2], &e) || seen_records == records)
                    throw changed();
                if (seen_records == 0 || f[0] != chrom_name) {
                    flush();
                    auto it = seen.find(std::string(f[0]));
                    if (it == seen.end()) throw changed();
                    chrom = it->second;
                    chrom_name = usages[chrom].name;
                }
                if (n == opt.items_per_slot) flush();
                if (n == 0) bounds = Bounds{chrom, s, chrom, e};
                bounds.end_base = std::max(bounds.end_base, e);
                b.u32(chrom);
                b.u32(s);
                b.u32(e);
                for (size_t i = 3; i < f.size(); ++i) {
                    if (i > 3) b.u8('\t');
                    b.raw(f[i].data(), f[i].size());
                }
                b.u8(0);
                ++n;
                ++seen_records;
            });
        }
        if (seen_records != records) throw changed();
        flush();
        return sink.finish();
    }

    struct Usage {
        std::string name;
        uint32_t size;
        uint64_t records;
    };

    BigBedOptions opt;
    TextLines text;
    std::unordered_map<std::string, uint32_t> chrom_size;
    std::string autosql;
    std::vector<AsColumn> columns;                   // empty until the schema is known
    std::vector<Usage> usages;                       // chroms in order of appearance: the chrom ids
    std::unordered_map<std::string, uint32_t> seen;  // name -> chrom id
    std::deque<ChromData> coverage;  // per chrom id: runs of depth (a deque: the sweep keeps a reference)
    std::unique_ptr<CoverageSweep> sweep;
    uint64_t records = 0, item_bases = 0;
    uint32_t last_start = 0;
    std::vector<std::string_view> f;   // the current line's fields
    std::vector<int64_t> list, sizes;  // scratch for list fields
    bool done = false;
};

BedToBigBed::BedToBigBed(const std::string& bed_path, const std::vector<std::pair<std::string, uint32_t>>& sizes,
                         const BigBedOptions& opt)
    : impl_(std::make_unique<Impl>(bed_path, sizes, opt)) {}

BedToBigBed::~BedToBigBed() = default;

bool BedToBigBed::step(size_t bytes) {
    Impl& m = *impl_;
    if (m.done) return false;
    bool more = m.text.step(bytes, [&m](std::string_view line) { m.check_line(line); });
    if (!more) {
        if (m.sweep) m.sweep->finish();
        if (m.columns.empty()) {
            if (m.opt.bed_n == 0)
                throw FormatError(m.text.path() + ": no BED records (give the bed type to write an empty bigBed)");
            m.sniff(size_t(m.opt.bed_n));
        }
        m.done = true;
    }
    return more;
}

uint64_t BedToBigBed::bytes_read() const { return impl_->text.bytes_read(); }
uint64_t BedToBigBed::lines() const { return impl_->text.line_no(); }
uint64_t BedToBigBed::records() const { return impl_->records; }

void BedToBigBed::write(const std::string& out) {
    if (!impl_->done) throw RangeError(impl_->text.path() + ": write() before the first pass ended");
    write_or_remove(out, [&](OutFile& f) { impl_->write(f); });
}

}  // namespace bwl
