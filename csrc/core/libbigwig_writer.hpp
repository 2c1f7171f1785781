// pyBigWig's writer (bwl.pybigwig): the bytes libBigWig's bwWrite.c writes
// for the same calls (libBigWig 0.4.10, as pyBigWig 0.3.29 bundles it), quirks
// included: its zoom levels, block boundaries, empty blocks when the entry
// type changes, unpadded R-tree, unsorted chromosome tree, total summary.
// bwl's own layout (UCSC's) is writer.cpp; nothing is shared but zlib.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace bwl {

class LibBigWigWriter {
public:
    // Creates (truncates) `path` now, as bwOpen(path, "w") does: IoError or
    // RangeError when it cannot.
    explicit LibBigWigWriter(const std::string& path);
    ~LibBigWigWriter();  // close(), as bwClose on an unclosed file
    LibBigWigWriter(const LibBigWigWriter&) = delete;
    LibBigWigWriter& operator=(const LibBigWigWriter&) = delete;

    // libBigWig's calls, each returning its code (0: done). Names are C
    // strings (they end at a NUL), compared bytewise as libBigWig does;
    // add_intervals' entry i is on chromosome names[chrom[i]].
    int add_header(const std::vector<std::string>& chroms, const std::vector<uint32_t>& lengths, int32_t max_zooms);
    int add_intervals(const std::vector<std::string>& names, const uint32_t* chrom, const uint32_t* start,
                      const uint32_t* end, const float* value, uint32_t n);
    int append_intervals(const uint32_t* start, const uint32_t* end, const float* value, uint32_t n);
    int add_interval_spans(const std::string& chrom, const uint32_t* start, uint32_t span, const float* value,
                           uint32_t n);
    int append_interval_spans(const uint32_t* start, const float* value, uint32_t n);
    int add_interval_span_steps(const std::string& chrom, uint32_t start, uint32_t span, uint32_t step,
                                const float* value, uint32_t n);
    int append_interval_span_steps(const float* value, uint32_t n);

    // bwFinalize, then the file is closed; later calls return 0.
    int close();
    bool closed() const { return f_ == nullptr; }
    // The first file operation the OS refused ("" if none): libBigWig only
    // returns a code for these.
    const std::string& io_error() const { return io_error_; }

    struct Node;
    struct ZoomBuffer;

private:
    bool put(const void* p, size_t size, size_t nmemb);
    template <class T>
    bool put_v(T v) {
        return put(&v, sizeof v, 1);
    }
    int write_at(const void* p, size_t size, uint64_t pos);
    bool set_pos(uint64_t pos);
    uint64_t tell();
    void note_io(const char* what);

    uint32_t tid_of(const std::string& chrom) const;
    void put_entry(const void* p, size_t n);
    void update_stats(uint32_t span, float val);
    int flush_buffer();
    int add_index_entry(std::vector<Node*>& list, uint32_t tid0, uint32_t tid1, uint32_t start, uint32_t end,
                        uint64_t offset, uint64_t size);
    Node* add_leaves(const std::vector<Node*>& list, size_t& next, uint64_t& size, uint64_t to_process);
    int write_node(const Node& n);
    int write_tree_node(Node& n, bool& wrote);
    int write_tree_offsets(const Node& n, uint64_t offset);
    int write_tree(Node& root, uint64_t root_offset);
    int write_header();
    int write_chrom_list();
    int write_index();
    int make_zoom_levels();
    int construct_zoom_levels();
    int write_zoom_levels();
    int finalize();

    std::FILE* f_ = nullptr;
    std::string path_, io_error_;

    // bigWigHdr_t
    bool have_hdr_ = false;
    uint16_t n_levels_ = 0;
    uint32_t buf_size_ = 0;
    uint64_t summary_offset_ = 0, ct_offset_ = 0, data_offset_ = 0;
    uint64_t n_bases_ = 0;
    double min_val_ = 0, max_val_ = 0, sum_data_ = 0, sum_squared_ = 0;
    std::vector<std::string> names_;
    std::vector<uint32_t> lengths_;
    std::unordered_map<std::string, uint32_t> tids_;  // name -> its first position

    // bwWriteBuffer_t: the block being filled and what was written
    uint64_t n_blocks_ = 0, n_entries_ = 0, running_width_sum_ = 0;
    uint32_t block_size_ = 0;
    uint32_t tid_ = 0, start_ = 0, end_ = 0, span_ = 0, step_ = 0, l_ = 24;
    uint8_t ltype_ = 0;
    std::vector<uint8_t> p_, compressed_;
    std::vector<Node*> index_;  // the data index's leaves, in order
    std::vector<std::unique_ptr<Node>> nodes_;
    Node* root_ = nullptr;

    // zoom levels, built at close from the blocks read back
    std::vector<uint32_t> levels_;
    std::vector<std::vector<ZoomBuffer>> zoom_;
    std::vector<uint64_t> zoom_nodes_;  // buffers added per level: equal counts end the levels
};

}  // namespace bwl
