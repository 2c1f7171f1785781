// Chromosome-name aliases, shared by Collection and Fasta: names that mean
// one chromosome ("chr1" and "1", "chrM" and "MT", or what the user maps)
// get one key. Off by default: then a name is its own key.
//
// Installed only because bwl/collection.hpp and bwl/fasta.hpp include it: include those, not this.
#pragma once

#include <string>
#include <unordered_map>

namespace bwl {

struct ChromAliases {
    std::unordered_map<std::string, std::string> map;  // alias -> name, applied first
    bool ucsc_ensembl = false;                         // "chr" prefix optional, chrM == MT

    bool active() const { return ucsc_ensembl || !map.empty(); }

    // The key two names share when they are one chromosome.
    std::string key(const std::string& name) const {
        auto it = map.find(name);
        std::string k = it == map.end() ? name : it->second;
        if (!ucsc_ensembl) return k;
        if (k.size() > 3 && k.compare(0, 3, "chr") == 0) k.erase(0, 3);
        if (k == "M") k = "MT";
        return k;
    }
};

}  // namespace bwl
