// bwl._core.write: copies the Python arrays into ChromData under the GIL,
// then writes with the GIL released. Validation lives in the core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bwl/bedgraph.hpp"
#include "bwl/error.hpp"
#include "bwl/writer.hpp"
#include "python/arrays.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"

namespace bwl_py {

namespace {

bwl::WriteOptions options(bwl::SectionType type, bool compress, bool big_endian, uint32_t items_per_slot,
                          int zoom_levels, uint32_t block_size) {
    bwl::WriteOptions opt;
    opt.type = type;
    opt.compress = compress;
    opt.big_endian = big_endian;
    opt.items_per_slot = items_per_slot;
    opt.block_size = block_size;
    opt.zoom_levels = zoom_levels;
    return opt;
}

void write_file(const std::string& path, const std::vector<std::pair<std::string, uint32_t>>& chroms,
           const py::dict& data, bwl::SectionType type, bool compress, bool big_endian, uint32_t items_per_slot,
           int zoom_levels, uint32_t block_size, bool allow_overlap) {
    std::vector<bwl::ChromData> out;
    std::unordered_map<std::string, size_t> pos;
    for (const auto& c : chroms) {
        pos.emplace(c.first, out.size());  // duplicates are reported by the core
        out.push_back({c.first, c.second, {}, {}, {}});
    }
    for (const auto& item : data) {
        std::string name = py::cast<std::string>(item.first);
        auto it = pos.find(name);
        if (it == pos.end()) throw bwl::KeyError(name);
        py::tuple t = py::cast<py::tuple>(item.second);
        if (t.size() != 3) throw bwl::RangeError(name + ": expected (starts, ends, values)");
        bwl::ChromData& c = out[it->second];
        c.start = to_vector<uint32_t>(t[0], name + ": starts");
        c.end = to_vector<uint32_t>(t[1], name + ": ends");
        c.value = to_vector<float>(t[2], name + ": values");
    }
    bwl::WriteOptions opt = options(type, compress, big_endian, items_per_slot, zoom_levels, block_size);
    opt.allow_overlap = allow_overlap;
    NoGil nogil;
    bwl::write_bigwig(path, out, opt);
}

}  // namespace

void bind_writer(py::module_& m) {
    m.def("write", &write_file, py::arg("path"), py::arg("chroms"), py::arg("data"), py::arg("type"),
          py::arg("compress"), py::arg("big_endian"), py::arg("items_per_slot"), py::arg("zoom_levels"),
          py::arg("block_size") = 256, py::arg("allow_overlap") = false,
          "Write a bigWig. chroms: [(name, size)]; data: {name: (starts u32, ends u32, values f32)}; "
          "type: SectionType; zoom_levels: -1 automatic, 0 none.");

    // bedGraph -> bigWig: Python drives step() to show progress; parsing and
    // writing run without the GIL.
    py::class_<bwl::BedGraphReader>(m, "BedGraphReader")
        .def(py::init<const std::string&, const std::vector<std::pair<std::string, uint32_t>>&>(), py::arg("path"),
             py::arg("chrom_sizes"))
        .def("step", &bwl::BedGraphReader::step, py::arg("bytes") = size_t(16) << 20,
             py::call_guard<NoGil>())
        .def_property_readonly("bytes_read", &bwl::BedGraphReader::bytes_read)
        .def_property_readonly("lines", &bwl::BedGraphReader::lines)
        .def("write", [](bwl::BedGraphReader& r, const std::string& path, bwl::SectionType type, bool compress,
                         bool big_endian, uint32_t items_per_slot, int zoom_levels) {
            bwl::WriteOptions opt = options(type, compress, big_endian, items_per_slot, zoom_levels, 256);
            NoGil nogil;
            bwl::write_bigwig(path, r.take(), opt);
        }, py::arg("path"), py::arg("type"), py::arg("compress"), py::arg("big_endian"), py::arg("items_per_slot"),
           py::arg("zoom_levels"));
}

}  // namespace bwl_py
