// BGZF reading: the member table is rebuilt from the members' own headers
// (BSIZE in the 'BC' extra field, ISIZE in the trailer), which costs two
// small reads per 64 KiB member and needs no decompression.
#include <algorithm>
#include <cstdio>

#include "bwl/error.hpp"
#include "core/bgzf.hpp"
#include "core/inflate.hpp"
#include "hd/byteio.hpp"

namespace bwl {

namespace {
constexpr uint32_t kGzipHeader = 12;  // magic, CM, FLG, MTIME, XFL, OS, XLEN
constexpr uint32_t kMaxMember = 1 << 16;
}  // namespace

bool Bgzf::is_bgzf(const FileSource& f) {
    if (f.size() < 18) return false;
    uint8_t h[18];
    f.read(0, 18, h, "gzip header");
    // gzip, deflate, FEXTRA, XLEN 6, subfield 'B' 'C' of length 2.
    return h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 && (h[3] & 4) && h[12] == 'B' && h[13] == 'C' &&
           load_u16(h + 14, false) == 2;
}

Bgzf::Bgzf(const FileSource& f, const std::string& gzi) : f_(f) {
    if (gzi.empty()) {
        add_members(0, 0);
        return;
    }
    // samtools layout: a count, then (compressed, uncompressed) offsets of
    // every member but the first, little-endian. Entries only say where
    // members start; the last one's size comes from its own header.
    auto u64 = [&](size_t i) { return load_u64(reinterpret_cast<const uint8_t*>(gzi.data()) + 8 * i, false); };
    uint64_t n = gzi.size() >= 8 ? u64(0) : 0;
    if (gzi.size() < 8 || n > (gzi.size() - 8) / 16 || gzi.size() != 8 + 16 * n)
        throw FormatError(f.path() + ".gzi: not a BGZF index (wrong size)");
    uint64_t off = 0, uoff = 0;
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t c = u64(1 + 2 * i), u = u64(2 + 2 * i);
        if (c <= off || c - off > kMaxMember || u < uoff || u - uoff > kMaxMember || c >= f.size())
            throw FormatError(f.path() + ".gzi: entry " + std::to_string(i) + " is out of order or out of the file");
        cstart_.push_back(off);
        csize_.push_back(c - off);
        ustart_.push_back(uoff);
        usize_.push_back(u - uoff);
        off = c;
        uoff = u;
    }
    add_members(off, uoff);
}

void Bgzf::add_members(uint64_t off, uint64_t uoff) {
    const FileSource& f = f_;
    while (off < f.size()) {
        uint8_t h[kGzipHeader];
        f.read(off, kGzipHeader, h, "BGZF member header");
        if (h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || !(h[3] & 4))
            throw FormatError(f.path() + ": not a BGZF member at offset " + std::to_string(off) +
                              " (gzip files must be compressed with bgzip to be indexed)");
        uint16_t xlen = load_u16(h + 10, false);
        std::vector<uint8_t> extra = f.read(off + kGzipHeader, xlen, "BGZF extra field");
        int64_t bsize = -1;
        for (size_t p = 0; p + 4 <= extra.size();) {
            uint16_t slen = load_u16(&extra[p + 2], false);
            if (extra[p] == 'B' && extra[p + 1] == 'C' && slen == 2 && p + 6 <= extra.size())
                bsize = load_u16(&extra[p + 4], false);
            p += 4 + slen;
        }
        if (bsize < 0)
            throw FormatError(f.path() + ": gzip member at offset " + std::to_string(off) +
                              " has no BGZF size field (recompress with bgzip)");
        uint64_t csize = uint64_t(bsize) + 1;
        if (csize < kGzipHeader + xlen + 8u)  // header, extra, CRC32 and ISIZE at least
            throw FormatError(f.path() + ": BGZF member at offset " + std::to_string(off) + " is too small");
        uint8_t isz[4];
        f.read(off + csize - 4, 4, isz, "BGZF member trailer");
        uint32_t usize = load_u32(isz, false);
        if (usize > kMaxMember) throw FormatError(f.path() + ": BGZF member larger than 64 KiB");
        cstart_.push_back(off);
        csize_.push_back(csize);
        ustart_.push_back(uoff);
        usize_.push_back(usize);
        off += csize;
        uoff += usize;
    }
}

void Bgzf::read(uint64_t off, uint64_t n, uint8_t* dst) const {
    if (off + n > size()) throw FormatError(f_.path() + ": read past the end of the uncompressed data");
    size_t m = size_t(std::upper_bound(ustart_.begin(), ustart_.end(), off) - ustart_.begin()) - 1;
    std::vector<uint8_t> comp, plain(kMaxMember);
    while (n > 0) {
        comp.resize(csize_[m]);
        f_.read(cstart_[m], csize_[m], comp.data(), "BGZF member");
        uint64_t got;
        try {
            got = inflate_gzip(comp.data(), comp.size(), plain.data(), plain.size());
        } catch (const FormatError& e) {
            throw FormatError(f_.path() + ": BGZF member at offset " + std::to_string(cstart_[m]) + ": " + e.what());
        }
        if (got != usize_[m]) throw FormatError(f_.path() + ": BGZF member size differs from its trailer");
        uint64_t from = off - ustart_[m], take = std::min<uint64_t>(n, got - from);
        std::copy(plain.begin() + from, plain.begin() + from + take, dst);
        dst += take;
        off += take;
        n -= take;
        ++m;
    }
}

std::pair<uint64_t, uint64_t> Bgzf::compressed_range(uint64_t off, uint64_t n) const {
    if (n == 0 || off + n > size()) return {0, 0};
    auto member = [&](uint64_t u) {
        return size_t(std::upper_bound(ustart_.begin(), ustart_.end(), u) - ustart_.begin()) - 1;
    };
    size_t a = member(off), b = member(off + n - 1);
    return {cstart_[a], cstart_[b] + csize_[b] - cstart_[a]};
}

void Bgzf::write_gzi(const std::string& path) const {
    FILE* fp = std::fopen(path.c_str(), "wb");
    if (!fp) return;  // a read-only folder: the table lives in memory only
    uint64_t n = cstart_.empty() ? 0 : cstart_.size() - 1;
    std::fwrite(&n, 8, 1, fp);  // little-endian hosts only, like samtools
    for (size_t i = 1; i < cstart_.size(); ++i) {
        std::fwrite(&cstart_[i], 8, 1, fp);
        std::fwrite(&ustart_[i], 8, 1, fp);
    }
    std::fclose(fp);
}

}  // namespace bwl
