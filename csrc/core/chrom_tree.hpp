// The chromosome B+ tree: name -> (id, size). Read whole at open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bwl/bbi.hpp"  // Chrom
#include "core/file_source.hpp"

namespace bwl {

// All chromosomes of the tree at `offset`, sorted by id.
std::vector<Chrom> read_chrom_tree(const FileSource& f, uint64_t offset, bool swap);

}  // namespace bwl
