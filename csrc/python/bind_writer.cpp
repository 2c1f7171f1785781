// bwl._core.write: copies the Python arrays into ChromData under the GIL,
// then writes with the GIL released. Validation lives in the core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <initializer_list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bwl/bedgraph.hpp"
#include "bwl/bigbed_writer.hpp"
#include "bwl/error.hpp"
#include "bwl/writer.hpp"
#include "core/libbigwig_writer.hpp"
#include "python/arrays.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"

namespace bwl_py {

namespace {

void write_file(const std::string& path, const std::vector<std::pair<std::string, uint32_t>>& chroms,
                const py::dict& data, const bwl::WriteOptions& opt) {
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
    NoGil nogil;
    bwl::write_bigwig(path, out, opt);
}

using U32 = py::array_t<uint32_t, py::array::c_style | py::array::forcecast>;
using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;

uint32_t same_size(std::initializer_list<size_t> sizes) {
    for (size_t s : sizes)
        if (s != *sizes.begin()) throw bwl::RangeError("LibBigWigWriter: arrays of different lengths");
    if (*sizes.begin() > UINT32_MAX) throw bwl::RangeError("LibBigWigWriter: more than 2^32 - 1 entries");
    return uint32_t(*sizes.begin());
}

}  // namespace

void bind_writer(py::module_& m) {
    m.def("write", &write_file, py::arg("path"), py::arg("chroms"), py::arg("data"), py::arg("options"),
          "Write a bigWig. chroms: [(name, size)]; data: {name: (starts u32, ends u32, values f32)}; "
          "options: WriteOptions (zoom_levels -1: automatic, 0: none).");

    // pyBigWig's writer (bwl.pybigwig): Python checks and converts the
    // arguments as pyBigWig does; these are libBigWig's calls, each
    // returning its code (0: done). The GIL stays held, as pyBigWig holds
    // it: the writer has no lock of its own.
    using LW = bwl::LibBigWigWriter;
    py::class_<LW>(m, "LibBigWigWriter")
        .def(py::init<const std::string&>(), py::arg("path"))
        .def("add_header", &LW::add_header, py::arg("chroms"), py::arg("lengths"), py::arg("max_zooms"))
        .def(
            "add_intervals",
            [](LW& w, const std::vector<std::string>& names, const U32& chrom, const U32& start, const U32& end,
               const F32& value) {
                uint32_t n =
                    same_size({size_t(chrom.size()), size_t(start.size()), size_t(end.size()), size_t(value.size())});
                for (uint32_t i = 0; i < n; ++i)
                    if (chrom.data()[i] >= names.size())
                        throw bwl::RangeError("LibBigWigWriter: a name index too large");
                return w.add_intervals(names, chrom.data(), start.data(), end.data(), value.data(), n);
            },
            py::arg("names"), py::arg("chroms"), py::arg("starts"), py::arg("ends"), py::arg("values"),
            "Entry i on chromosome names[chroms[i]].")
        .def(
            "append_intervals",
            [](LW& w, const U32& start, const U32& end, const F32& value) {
                uint32_t n = same_size({size_t(start.size()), size_t(end.size()), size_t(value.size())});
                return w.append_intervals(start.data(), end.data(), value.data(), n);
            },
            py::arg("starts"), py::arg("ends"), py::arg("values"))
        .def(
            "add_interval_spans",
            [](LW& w, const std::string& chrom, const U32& start, uint32_t span, const F32& value) {
                uint32_t n = same_size({size_t(start.size()), size_t(value.size())});
                return w.add_interval_spans(chrom, start.data(), span, value.data(), n);
            },
            py::arg("chrom"), py::arg("starts"), py::arg("span"), py::arg("values"))
        .def(
            "append_interval_spans",
            [](LW& w, const U32& start, const F32& value) {
                uint32_t n = same_size({size_t(start.size()), size_t(value.size())});
                return w.append_interval_spans(start.data(), value.data(), n);
            },
            py::arg("starts"), py::arg("values"))
        .def(
            "add_interval_span_steps",
            [](LW& w, const std::string& chrom, uint32_t start, uint32_t span, uint32_t step, const F32& value) {
                uint32_t n = same_size({size_t(value.size())});
                return w.add_interval_span_steps(chrom, start, span, step, value.data(), n);
            },
            py::arg("chrom"), py::arg("start"), py::arg("span"), py::arg("step"), py::arg("values"))
        .def(
            "append_interval_span_steps",
            [](LW& w, const F32& value) {
                uint32_t n = same_size({size_t(value.size())});
                return w.append_interval_span_steps(value.data(), n);
            },
            py::arg("values"))
        .def("close", &LW::close, "bwFinalize, then the file is closed; 0 when complete.")
        .def_property_readonly("closed", &LW::closed)
        .def_property_readonly("io_error", &LW::io_error, "The first file operation the OS refused, or ''.");

    // bedGraph -> bigWig: Python drives step() to show progress; parsing and
    // writing run without the GIL.
    py::class_<bwl::BedGraphReader>(m, "BedGraphReader")
        .def(py::init<const std::string&, const std::vector<std::pair<std::string, uint32_t>>&, bool, bool>(),
             py::arg("path"), py::arg("chrom_sizes"), py::arg("wig") = false, py::arg("clip") = false)
        .def("step", &bwl::BedGraphReader::step, py::arg("bytes") = size_t(16) << 20, py::call_guard<NoGil>())
        .def_property_readonly("bytes_read", &bwl::BedGraphReader::bytes_read)
        .def_property_readonly("lines", &bwl::BedGraphReader::lines)
        .def(
            "write",
            [](bwl::BedGraphReader& r, const std::string& path, const bwl::WriteOptions& opt) {
                NoGil nogil;
                bwl::write_bigwig(path, r.take(), opt);
            },
            py::arg("path"), py::arg("options"));

    // BED -> bigBed: step() is the first pass (checks, coverage), write() the second.
    py::class_<bwl::BigBedOptions>(m, "BigBedOptions")
        .def(py::init([](int bed_n, int bed_plus, const std::string& autosql, bool tab, bool compress,
                         uint32_t block_size, uint32_t items_per_slot, bool allow_1bp_overlap) {
                 return bwl::BigBedOptions{bed_n,    bed_plus,   autosql,        tab,
                                           compress, block_size, items_per_slot, allow_1bp_overlap};
             }),
             py::arg("bed_n") = 0, py::arg("bed_plus") = 0, py::arg("autosql") = "", py::arg("tab") = false,
             py::arg("compress") = true, py::arg("block_size") = 256, py::arg("items_per_slot") = 512,
             py::arg("allow_1bp_overlap") = false);
    py::class_<bwl::BedToBigBed>(m, "BedToBigBed")
        .def(py::init<const std::string&, const std::vector<std::pair<std::string, uint32_t>>&,
                      const bwl::BigBedOptions&>(),
             py::arg("path"), py::arg("chrom_sizes"), py::arg("options"))
        .def("step", &bwl::BedToBigBed::step, py::arg("bytes") = size_t(16) << 20, py::call_guard<NoGil>())
        .def_property_readonly("bytes_read", &bwl::BedToBigBed::bytes_read)
        .def_property_readonly("lines", &bwl::BedToBigBed::lines)
        .def_property_readonly("records", &bwl::BedToBigBed::records)
        .def("write", &bwl::BedToBigBed::write, py::arg("path"), py::call_guard<NoGil>());
}

}  // namespace bwl_py
