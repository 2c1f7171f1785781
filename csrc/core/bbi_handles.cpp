// The public file types (bbi.hpp, bigwig.hpp, bigbed.hpp): handles on one
// BbiFile, each opening only its own kind, so the reads of the other kind
// are not there to call.
#include <utility>

#include "bwl/bigbed.hpp"
#include "bwl/bigwig.hpp"
#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "hd/byteio.hpp"

namespace bwl {

namespace {
const char* kind_name(BbiKind k) { return k == BbiKind::BigBed ? "bigBed" : "bigWig"; }
}  // namespace

BbiKind bbi_kind(const std::string& path, std::shared_ptr<RangeReader> reader) {
    FileSource src(path, std::move(reader));
    uint8_t b[4];
    src.read(0, 4, b, "magic");
    uint32_t m = load_u32(b, false);
    if (m == kBigWigMagic || m == kBigWigMagicSwapped) return BbiKind::BigWig;
    if (m == kBigBedMagic || m == kBigBedMagicSwapped) return BbiKind::BigBed;
    throw FormatError(path + ": not a bigWig or bigBed file (magic number)");
}

BbiHandle::BbiHandle(const std::string& path, std::shared_ptr<RangeReader> reader, BbiKind want)
    : f_(std::make_shared<const BbiFile>(path, std::move(reader))) {
    if (f_->info().kind != want)
        throw FormatError(path + ": is a " + kind_name(f_->info().kind) + " file; open it with " +
                          (want == BbiKind::BigWig ? "BigBedFile" : "BigWigFile"));
}

const std::string& BbiHandle::path() const { return f_->path(); }
const BbiInfo& BbiHandle::info() const { return f_->info(); }
const std::vector<Chrom>& BbiHandle::chroms() const { return f_->chroms(); }
uint32_t BbiHandle::chrom_index(const std::string& name) const { return f_->chrom_index(name); }
void BbiHandle::check_range(uint32_t chrom, uint64_t start, uint64_t end) const { f_->check_range(chrom, start, end); }
std::vector<double> BbiHandle::stats(uint32_t chrom, uint64_t start, uint64_t end, Stat stat, uint32_t nbins,
                                     bool exact) const {
    return f_->stats(chrom, start, end, stat, nbins, exact);
}

BigWigFile::BigWigFile(const std::string& path, std::shared_ptr<RangeReader> reader)
    : BbiHandle(path, std::move(reader), BbiKind::BigWig) {}
void BigWigFile::values(uint32_t chrom, uint64_t start, uint64_t end, float* out) const {
    f_->values(chrom, start, end, out);
}
Intervals BigWigFile::intervals(uint32_t chrom, uint64_t start, uint64_t end) const {
    return f_->intervals(chrom, start, end);
}

BigBedFile::BigBedFile(const std::string& path, std::shared_ptr<RangeReader> reader)
    : BbiHandle(path, std::move(reader), BbiKind::BigBed) {}
BedEntries BigBedFile::entries(uint32_t chrom, uint64_t start, uint64_t end, bool with_rest) const {
    return f_->entries(chrom, start, end, with_rest);
}
Intervals BigBedFile::coverage(uint32_t chrom, uint64_t start, uint64_t end) const {
    return f_->coverage(chrom, start, end);
}
std::string BigBedFile::auto_sql() const { return f_->auto_sql(); }

}  // namespace bwl
