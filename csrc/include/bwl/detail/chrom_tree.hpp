// The chromosome B+ tree: name -> (id, size). Read whole at open.
//
// Installed only because bwl/bigwig.hpp includes it: include that, not this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bwl/file_source.hpp"

namespace bwl {

struct Chrom {
    std::string name;
    uint32_t id;
    uint32_t size;
};

// All chromosomes of the tree at `offset`, sorted by id.
std::vector<Chrom> read_chrom_tree(const FileSource& f, uint64_t offset, bool swap);

}  // namespace bwl
