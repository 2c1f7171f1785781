// FASTA: .fai parsing and building, base fetch, batched one-hot.
#include "bwl/fasta.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "core/bgzf.hpp"
#include "core/file_source.hpp"
#include "core/thread_pool.hpp"
#include "hd/convert.hpp"
#include "hd/onehot.hpp"

namespace bwl {

namespace {
bool exists(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
}
}  // namespace

Fasta::Fasta(const std::string& path, size_t threads, ChromAliases aliases, const FastaRemote* remote)
    : path_(path),
      src_(std::make_unique<FileSource>(path, remote ? remote->reader : nullptr)),
      aliases_(std::move(aliases)),
      pool_(std::make_unique<ThreadPool>(threads)) {
    if (Bgzf::is_bgzf(*src_)) {
        bgzf_ = std::make_unique<Bgzf>(*src_, remote ? remote->gzi : std::string());
        if (!remote && !exists(path + ".gzi")) bgzf_->write_gzi(path + ".gzi");
    } else if (src_->size() >= 2) {
        uint8_t m[2];
        src_->read(0, 2, m, "magic");
        if (m[0] == 0x1f && m[1] == 0x8b)
            throw FormatError(path + ": gzip-compressed but not with bgzip; run `bgzip -d` then `bgzip` on it");
    }
    std::string fai = path + ".fai";
    if (remote && !remote->fai.empty()) {
        parse_fai(remote->fai, fai);
        // Rebuilding would read the whole remote file: say what is wrong instead.
        std::string why = fai_mismatch();
        if (!why.empty())
            throw FormatError(fai + ": does not match the FASTA (" + why + "); rebuild it with `samtools faidx`");
    } else if (remote) {
        build_fai("");  // kept in memory only
    } else if (!exists(fai)) {
        build_fai(fai);
    } else {
        std::ifstream in(fai, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        try {
            parse_fai(text.str(), fai);
        } catch (const FormatError&) {
            fai_.clear();  // unreadable: rebuilt below like any index that disagrees
        }
        // An index from before the FASTA was edited (renamed headers, other
        // lengths, cut or empty) would shift or drop sequence silently: check
        // it against the file, and rebuild it (as pyfaidx rebuilds an old one).
        if (!fai_mismatch().empty()) {
            fai_.clear();
            build_fai(fai);
        }
    }
    for (uint32_t i = 0; i < fai_.size(); ++i) {
        const FaiEntry& e = fai_[i];
        auto [it, fresh] = by_name_.emplace(aliases_.key(e.name), i);  // a repeated name: the first, as before
        if (!fresh && fai_[it->second].name != e.name)
            throw FormatError(path + ": sequences '" + fai_[it->second].name + "' and '" + e.name +
                              "' are one chromosome under the chrom aliases");
    }
}

void Fasta::parse_fai(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        std::istringstream ls(line);
        FaiEntry e;
        // pyfaidx writes "0 0" line sizes for an empty sequence.
        if (!(std::getline(ls, e.name, '\t') && ls >> e.length >> e.offset >> e.line_bases >> e.line_width) ||
            (e.line_bases == 0 && e.length != 0) || e.line_width < e.line_bases)
            throw FormatError(name + ":" + std::to_string(n) + ": not a valid .fai line");
        fai_.push_back(e);
    }
}

namespace {
uint64_t data_end(const FaiEntry& e) {  // the byte after the sequence's last base
    if (e.length == 0) return e.offset;
    return e.offset + (e.length - 1) / e.line_bases * e.line_width + (e.length - 1) % e.line_bases + 1;
}
bool blank(uint8_t c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; }
}  // namespace

std::string Fasta::fai_mismatch() const {
    // Between sequences the file must hold exactly what a FASTA writer puts
    // there: the end of the last line, maybe blank lines, then ">name" (and
    // a description after a space) ending right where the next sequence's
    // bases begin; after the last sequence, only blank space. One small read
    // per sequence, through a 1 MiB window (many short contigs share it).
    const uint64_t size = bgzf_ ? bgzf_->size() : src_->size(), kGapMax = kMaxKeySize + (64 << 10);
    if (fai_.empty()) return "it lists no sequence";
    std::vector<uint8_t> window;
    uint64_t win_off = 0;
    auto bytes = [&](uint64_t off, uint64_t n) -> const uint8_t* {
        if (off < win_off || off + n > win_off + window.size()) {
            uint64_t len = std::min<uint64_t>(size - off, std::max<uint64_t>(n, 1 << 20));
            window.resize(len);
            if (bgzf_) bgzf_->read(off, len, window.data());
            else src_->read(off, len, window.data(), "FASTA text");
            win_off = off;
        }
        return window.data() + (off - win_off);
    };
    uint64_t pos = 0;  // where the previous sequence's bases end
    for (const FaiEntry& e : fai_) {
        if (e.offset < pos || e.offset > size || data_end(e) > size)
            return "'" + e.name + "' lies outside the file or before the previous sequence";
        if (e.offset - pos > kGapMax) return "more than a header line before '" + e.name + "'";
        const uint8_t* g = bytes(pos, e.offset - pos);
        uint64_t n = e.offset - pos, i = 0;
        while (i < n && blank(g[i])) ++i;
        const std::string want = ">" + e.name;
        bool ok = n - i > want.size() && std::memcmp(g + i, want.data(), want.size()) == 0 && g[n - 1] == '\n';
        if (ok) {
            uint8_t after = g[i + want.size()];
            ok = after == '\n' || after == '\r' || after == ' ' || after == '\t';
            for (uint64_t k = i + want.size(); ok && k + 1 < n; ++k) ok = g[k] != '\n';  // one line
        }
        if (!ok) return "no header line '>" + e.name + "' just before its bases";
        pos = data_end(e);
    }
    if (size - pos > kGapMax) return "more sequence after the last one it lists";
    const uint8_t* t = bytes(pos, size - pos);
    for (uint64_t i = 0; i < size - pos; ++i)
        if (!blank(t[i])) return "more sequence after the last one it lists";
    return {};
}

Fasta::~Fasta() = default;

uint32_t Fasta::index(const std::string& name) const {
    auto it = by_name_.find(aliases_.key(name));
    if (it == by_name_.end()) throw KeyError(path_ + ": no sequence '" + name + "'");
    return it->second;
}

void Fasta::build_fai(const std::string& fai_path) {
    // One pass over the (uncompressed) text, like `samtools faidx`.
    uint64_t total = bgzf_ ? bgzf_->size() : src_->size(), pos = 0;
    const uint64_t kChunk = 1 << 22;
    std::vector<uint8_t> buf;
    FaiEntry cur{};
    bool in_seq = false, in_header = false, name_done = false, short_line_seen = false, blank_seen = false;
    uint64_t line_len = 0, line_bases = 0;
    std::string name;
    auto end_line = [&]() {
        // All lines of a sequence but the last have one length (samtools'
        // rule); blank lines may only trail it.
        if (line_bases == 0) {
            blank_seen = true;
            return;
        }
        if (blank_seen)
            throw FormatError(path_ + ": sequence '" + cur.name + "' has a blank line inside it; it cannot be indexed");
        if (cur.line_bases == 0) {
            cur.line_bases = line_bases;
            cur.line_width = line_len;
        } else if (short_line_seen || line_bases > cur.line_bases ||
                   (line_bases == cur.line_bases && line_len != cur.line_width)) {
            throw FormatError(path_ + ": sequence '" + cur.name +
                              "' has lines of different lengths; it cannot be indexed");
        }
        if (line_bases < cur.line_bases) short_line_seen = true;
    };
    auto finish = [&]() {
        if (in_seq) {
            if (line_bases) end_line();
            fai_.push_back(cur);
        }
    };
    while (pos < total) {
        uint64_t n = std::min(kChunk, total - pos);
        buf.resize(n);
        if (bgzf_) bgzf_->read(pos, n, buf.data());
        else src_->read(pos, n, buf.data(), "FASTA text");
        for (uint64_t i = 0; i < n; ++i, ++pos) {
            uint8_t c = buf[i];
            if (in_header) {
                if (c == '\n') {
                    in_header = false;
                    cur = FaiEntry{name, 0, pos + 1, 0, 0};
                    in_seq = true;
                    short_line_seen = blank_seen = false;
                    line_len = line_bases = 0;
                } else if (c == ' ' || c == '\t' || c == '\r') {
                    name_done = true;  // the name is the header's first word
                } else if (!name_done) {
                    if (name.size() >= kMaxKeySize) throw FormatError(path_ + ": sequence name longer than 1 MiB");
                    name.push_back(char(c));
                }
                continue;
            }
            if (c == '>' && line_len == 0) {
                finish();
                in_seq = false;
                in_header = true;
                name_done = false;
                name.clear();
                continue;
            }
            if (!in_seq) {
                if (c == '\n' || c == '\r') continue;
                throw FormatError(path_ + ": not a FASTA file (text before the first '>')");
            }
            ++line_len;
            if (c == '\n') {
                end_line();
                line_len = line_bases = 0;
            } else if (c != '\r') {
                ++line_bases;
                ++cur.length;
            }
        }
    }
    if (in_header) throw FormatError(path_ + ": FASTA ends inside a header line");
    finish();
    if (fai_.empty()) throw FormatError(path_ + ": no sequences (not a FASTA file?)");
    // Share the index with samtools/pyfaidx; a read-only folder keeps it in
    // memory. Written aside and renamed, so another process opening the
    // FASTA meanwhile never reads half an index.
    if (fai_path.empty()) return;
    std::string tmp = fai_path + ".tmp" + std::to_string(::getpid());
    if (FILE* fp = std::fopen(tmp.c_str(), "w")) {
        bool ok = true;
        for (const auto& e : fai_)
            ok &= std::fprintf(fp, "%s\t%llu\t%llu\t%llu\t%llu\n", e.name.c_str(), (unsigned long long)e.length,
                               (unsigned long long)e.offset, (unsigned long long)e.line_bases,
                               (unsigned long long)e.line_width) > 0;
        ok &= std::fclose(fp) == 0;
        if (!ok || std::rename(tmp.c_str(), fai_path.c_str()) != 0) std::remove(tmp.c_str());
    }
}

void Fasta::read_bases(uint32_t chrom, uint64_t start, uint64_t end, std::string& out) const {
    const FaiEntry& e = fai_[chrom];
    out.clear();
    if (start >= end) return;
    auto byte_of = [&](uint64_t p) { return e.offset + p / e.line_bases * e.line_width + p % e.line_bases; };
    uint64_t first = byte_of(start), last = byte_of(end - 1) + 1;
    out.resize(last - first);
    auto* p = reinterpret_cast<uint8_t*>(&out[0]);
    if (bgzf_) bgzf_->read(first, last - first, p);
    else src_->read(first, last - first, p, "FASTA sequence");
    out.erase(std::remove_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }), out.end());
    if (out.size() != end - start)
        throw FormatError(path_ + ": sequence '" + e.name + "' does not match its .fai index");
}

void Fasta::prefetch(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L) const {
    if (!src_->remote()) return;
    ByteRanges r;
    for (size_t b = 0; b < B; ++b) {
        const FaiEntry& e = fai_[chrom[b]];
        int64_t len = int64_t(e.length);
        int64_t cs = std::clamp<int64_t>(start[b], 0, len), ce = std::clamp<int64_t>(start[b] + int64_t(L), 0, len);
        if (ce <= cs) continue;
        auto byte_of = [&](uint64_t p) { return e.offset + p / e.line_bases * e.line_width + p % e.line_bases; };
        uint64_t first = byte_of(uint64_t(cs)), last = byte_of(uint64_t(ce - 1)) + 1;
        r.push_back(bgzf_ ? bgzf_->compressed_range(first, last - first) : std::make_pair(first, last - first));
    }
    std::sort(r.begin(), r.end());
    src_->prefetch(std::move(r));
}

std::string Fasta::fetch(uint32_t chrom, uint64_t start, uint64_t end) const {
    const FaiEntry& e = fai_.at(chrom);
    if (start > end || end > e.length)
        throw RangeError(path_ + ": invalid range " + e.name + ":" + std::to_string(start) + "-" + std::to_string(end) +
                         " (length " + std::to_string(e.length) + ")");
    std::string s;
    read_bases(chrom, start, end, s);
    return s;
}

namespace {

// The common case, (L, 4) float32: each base is one 16-byte row of a
// 6-entry table (A, C, G, T, other, outside the chromosome), streamed to the
// output with non-temporal stores where it is aligned (a batch's one-hot is
// the largest array it writes, and nothing here reads it back).
void onehot_row_f32(float* dst, const char* seq, int64_t s, int64_t cs, int64_t ce, uint64_t L, float other, bool rc) {
    alignas(16) float table[6][4] = {};
    for (int c = 0; c < 4; ++c) table[c][rc ? 3 - c : c] = 1;  // reverse complement: A<->T, C<->G
    for (int c = 0; c < 4; ++c) table[4][c] = other;
    const bool aligned = (reinterpret_cast<uintptr_t>(dst) & 15) == 0;
    for (uint64_t i = 0; i < L; ++i) {
        int64_t pos = s + int64_t(i);
        uint8_t code = pos >= cs && pos < ce ? base_code(uint8_t(seq[pos - cs])) : 5;
        float* d = dst + 4 * (rc ? L - 1 - i : i);
#if defined(__SSE2__)
        if (aligned) {
            _mm_stream_ps(d, _mm_load_ps(table[code]));
            continue;
        }
#endif
        std::memcpy(d, table[code], sizeof(table[code]));
    }
#if defined(__SSE2__)
    _mm_sfence();
#endif
    (void)aligned;
}

}  // namespace

void Fasta::onehot(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L, float other, DType dtype,
                   bool channels_last, void* out, const uint8_t* reverse) {
    for (size_t b = 0; b < B; ++b)
        if (chrom[b] >= fai_.size()) throw RangeError("sequence index out of range");
    prefetch(chrom, start, B, L);
    pool_->parallel_for(B, [&](size_t b) {
        thread_local std::string seq;
        int64_t s = start[b], e = s + int64_t(L);
        int64_t len = int64_t(fai_[chrom[b]].length);
        int64_t cs = std::clamp<int64_t>(s, 0, len), ce = std::clamp<int64_t>(e, 0, len);
        read_bases(chrom[b], uint64_t(cs), uint64_t(std::max(cs, ce)), seq);
        uint64_t base = uint64_t(b) * L * 4;
        bool rc = reverse && reverse[b];
        if (dtype == DType::F32 && channels_last) {
            onehot_row_f32(static_cast<float*>(out) + base, seq.data(), s, cs, ce, L, other, rc);
            return;
        }
        // Reverse complement: base i goes to position L-1-i, and A<->T,
        // C<->G is channel ch -> 3 - ch (`other` is the same in all four).
        auto at = [&](uint64_t i, uint32_t ch) {
            if (rc) i = L - 1 - i, ch = 3 - ch;
            return base + (channels_last ? i * 4 + ch : ch * L + i);
        };
        for (uint64_t i = 0; i < L; ++i) {
            int64_t pos = s + int64_t(i);
            float v[4] = {0, 0, 0, 0};
            if (pos >= cs && pos < ce) {  // outside the chromosome: all zero
                uint8_t code = base_code(uint8_t(seq[size_t(pos - cs)]));
                if (code < 4) v[code] = 1;
                else v[0] = v[1] = v[2] = v[3] = other;
            }
            for (uint32_t ch = 0; ch < 4; ++ch) store(out, at(i, ch), v[ch], dtype);
        }
    });
}

void Fasta::n_fraction(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L, float* out) {
    for (size_t b = 0; b < B; ++b)
        if (chrom[b] >= fai_.size()) throw RangeError("sequence index out of range");
    prefetch(chrom, start, B, L);
    pool_->parallel_for(B, [&](size_t b) {
        thread_local std::string seq;
        int64_t len = int64_t(fai_[chrom[b]].length);
        int64_t cs = std::clamp<int64_t>(start[b], 0, len), ce = std::clamp<int64_t>(start[b] + int64_t(L), 0, len);
        read_bases(chrom[b], uint64_t(cs), uint64_t(std::max(cs, ce)), seq);
        uint64_t unknown = L - seq.size();  // outside the chromosome counts as N
        for (char c : seq) unknown += base_code(uint8_t(c)) == 4;
        out[b] = float(double(unknown) / double(L));
    });
}

}  // namespace bwl
