// The R-tree (cirTree) index, flattened at open into sorted per-chromosome
// arrays of blocks, so a lookup is two binary searches and no tree walk.
#pragma once

#include <cstdint>
#include <vector>

#include "core/file_source.hpp"

namespace bwl {

// Blocks of one chromosome, sorted by start. max_end[i] = max(end[0..i]),
// which keeps the search exact even when blocks overlap.
struct ChromBlocks {
    std::vector<uint32_t> start, end, max_end;
    std::vector<uint64_t> offset, size;

    // Indices [first, last) of blocks that may overlap [qs, qe); callers still
    // test each block's own range.
    void overlapping(uint64_t qs, uint64_t qe, size_t* first, size_t* last) const;
};

struct BlockIndex {
    std::vector<ChromBlocks> chroms;  // indexed by chrom id
    uint64_t block_count = 0;
};

// Walks the whole tree at `offset` once.
// chrom_ids[i] (sorted) is the id of the chromosome at position i of the result.
// `exact_count`: the leaves must number the header's itemCount (a damaged
// node count would drop blocks silently). Zoom indexes are read without it:
// libBigWig (pyBigWig) writes zoom itemCounts that disagree with the leaves,
// and UCSC's reader, pyBigWig and pybigtools ignore the count; the leaves
// are then bounded by the file size instead.
BlockIndex read_rtree(const FileSource& f, uint64_t offset, bool swap, const std::vector<uint32_t>& chrom_ids,
                      bool exact_count = true);

}  // namespace bwl
