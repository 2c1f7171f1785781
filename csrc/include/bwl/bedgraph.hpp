// Streaming bedGraph parser (plain or gzip text) for bedGraph -> bigWig,
// and with `wig` the wiggle format too (wigToBigWig's input: fixedStep and
// variableStep sections, 1-based, beside bedGraph lines). The text is read
// in chunks; what is kept is 12 bytes per interval.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwl/writer.hpp"

namespace bwl {

class TextLines;

class BedGraphReader {
public:
    // sizes: chromosome -> size (a chrom.sizes file); lines on other
    // chromosomes are an error naming the line. `clip`: items past a
    // chromosome's end are cut there (wigToBigWig -clip), not an error.
    BedGraphReader(const std::string& path, const std::vector<std::pair<std::string, uint32_t>>& sizes,
                   bool wig = false, bool clip = false);
    ~BedGraphReader();
    BedGraphReader(const BedGraphReader&) = delete;
    BedGraphReader& operator=(const BedGraphReader&) = delete;

    // Parses the next chunk (about `bytes` of text). False at the end.
    bool step(size_t bytes = 16 << 20);
    uint64_t bytes_read() const;
    uint64_t lines() const;

    // The parsed chromosomes (all of chrom.sizes, sorted by start within
    // each), ready for write_bigwig. Call after step() returned false.
    std::vector<ChromData> take();

private:
    void parse_line(const char* p, const char* end);
    void declaration(const char* const* f, const char* const* fe, int k);  // fixedStep / variableStep
    uint32_t chrom_of(const std::string& name) const;
    void add(uint32_t chrom, uint64_t s, uint64_t e, float v);
    [[noreturn]] void fail(const std::string& what) const;

    std::string path_;
    std::unique_ptr<TextLines> text_;
    std::vector<ChromData> chroms_;
    std::unordered_map<std::string, uint32_t> index_;
    std::vector<bool> sorted_;
    bool wig_, clip_;
    enum class Mode { BedGraph, Fixed, Variable } mode_ = Mode::BedGraph;
    uint32_t sec_chrom_ = 0;                   // the current section's chromosome
    uint64_t next_ = 0, step_ = 0, span_ = 1;  // fixedStep: next item's start (0-based); span for both
};

}  // namespace bwl
