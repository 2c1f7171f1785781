// bwl._core.BbiFile: one bigWig or bigBed file (bwl.open), pyBigWig-like:
// one object for both kinds, as pyBigWig has it (the C++ API splits them).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "python/arrays.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"
#include "python/range_reader.hpp"

namespace bwl_py {

namespace {

using bwl::BbiFile;

// Python ints may be negative or huge; the core takes unsigned positions.
uint64_t position(const BbiFile& f, int64_t v, const char* name) {
    if (v < 0) throw bwl::RangeError(f.path() + ": " + name + " must be >= 0, got " + std::to_string(v));
    return uint64_t(v);
}

py::dict header_dict(const BbiFile& f) {
    const bwl::Header& h = f.header();
    py::dict d;
    // pyBigWig's keys first, so code written for it keeps working.
    d["version"] = h.version;
    d["nLevels"] = h.zoom_levels;
    d["nBasesCovered"] = h.summary.bases_covered;
    d["minVal"] = h.summary.min_val;
    d["maxVal"] = h.summary.max_val;
    d["sumData"] = h.summary.sum_data;
    d["sumSquared"] = h.summary.sum_squares;
    d["bigBed"] = h.bigbed;
    d["fieldCount"] = h.field_count;
    d["definedFieldCount"] = h.defined_field_count;
    d["byteOrder"] = h.swap ? "big" : "little";  // load_u32 reads little-endian on any host
    d["compressed"] = h.uncompress_buf_size != 0;
    d["uncompressBufSize"] = h.uncompress_buf_size;
    d["chromTreeOffset"] = h.chrom_tree_offset;
    d["fullDataOffset"] = h.full_data_offset;
    d["fullIndexOffset"] = h.full_index_offset;
    d["totalSummaryOffset"] = h.total_summary_offset;
    d["extensionOffset"] = h.extension_offset;
    d["sectionCount"] = h.section_count;
    d["blockCount"] = f.info().block_count;
    py::list zooms;
    for (const auto& z : h.zooms)
        zooms.append(py::dict(py::arg("reductionLevel") = z.reduction_level, py::arg("dataOffset") = z.data_offset,
                              py::arg("indexOffset") = z.index_offset));
    d["zoomLevels"] = zooms;
    d["fileSize"] = f.source().size();
    return d;
}

}  // namespace

void bind_bigwig(py::module_& m) {
    py::class_<BbiFile>(m, "BbiFile")
        .def(py::init([](const std::string& path, const py::object& reader) {
                 auto r = bwl_py::range_reader(reader);
                 NoGil nogil;
                 return std::make_unique<BbiFile>(path, std::move(r));
             }),
             py::arg("path"), py::arg("reader") = py::none())
        .def_property_readonly("path", &BbiFile::path)
        .def("chroms",
             [](const BbiFile& f) {
                 py::list out;
                 for (const auto& c : f.chroms()) out.append(py::make_tuple(c.name, c.size));
                 return out;
             })
        .def("header", &header_dict)
        .def("chrom_size",
             [](const BbiFile& f, const std::string& chrom) { return f.chroms()[f.chrom_index(chrom)].size; })
        .def(
            "values",
            [](const BbiFile& f, const std::string& chrom, int64_t start, int64_t end) {
                uint32_t c = f.chrom_index(chrom);
                uint64_t s = position(f, start, "start"), e = position(f, end, "end");
                f.check_range(c, s, e);
                py::array_t<float> out(py::ssize_t(e - s));
                float* p = out.mutable_data();
                {
                    NoGil nogil;
                    f.values(c, s, e, p);
                }
                return out;
            },
            py::arg("chrom"), py::arg("start"), py::arg("end"))
        .def(
            "intervals",
            [](const BbiFile& f, const std::string& chrom, int64_t start, int64_t end) {
                uint32_t c = f.chrom_index(chrom);
                uint64_t s = position(f, start, "start"), e = position(f, end, "end");
                bwl::Intervals iv;
                {
                    NoGil nogil;
                    iv = f.intervals(c, s, e);
                }
                return py::make_tuple(to_array(iv.start), to_array(iv.end), to_array(iv.value));
            },
            py::arg("chrom"), py::arg("start"), py::arg("end"))
        .def(
            "entries",
            [](const BbiFile& f, const std::string& chrom, int64_t start, int64_t end, bool with_rest) {
                uint32_t c = f.chrom_index(chrom);
                uint64_t s = position(f, start, "start"), e = position(f, end, "end");
                bwl::BedEntries be;
                {
                    NoGil nogil;
                    be = f.entries(c, s, e, with_rest);
                }
                py::list rest;
                if (with_rest)
                    for (const auto& r : be.rest)
                        rest.append(py::reinterpret_steal<py::str>(
                            PyUnicode_DecodeUTF8(r.data(), py::ssize_t(r.size()), "replace")));
                else
                    for (size_t i = 0; i < be.start.size(); ++i)
                        rest.append(py::str());  // one per record, as documented
                return py::make_tuple(to_array(be.start), to_array(be.end), rest);
            },
            py::arg("chrom"), py::arg("start"), py::arg("end"), py::arg("with_rest") = true)
        .def(
            "auto_sql",
            [](const BbiFile& f) {
                std::string s;
                {
                    NoGil nogil;
                    s = f.auto_sql();
                }
                return py::reinterpret_steal<py::str>(PyUnicode_DecodeUTF8(s.data(), py::ssize_t(s.size()), "replace"));
            })
        // pyBigWig's SQL(): the bytes up to the NUL; None where the header has no autoSql offset
        .def("auto_sql_bytes",
             [](const BbiFile& f) -> std::optional<py::bytes> {
                 if (!f.header().autosql_offset) return std::nullopt;
                 std::string s;
                 {
                     NoGil nogil;
                     s = f.auto_sql();
                 }
                 return py::bytes(s);
             })
        .def_property_readonly("bigbed", &BbiFile::bigbed)
        .def(
            "stats",
            [](const BbiFile& f, const std::string& chrom, int64_t start, int64_t end, bwl::Stat st, int64_t nbins,
               bool exact, bool libbigwig) {
                uint32_t c = f.chrom_index(chrom);
                uint64_t s = position(f, start, "start"), e = position(f, end, "end");
                if (nbins < 1 || nbins > INT32_MAX) throw bwl::RangeError(f.path() + ": nBins must be >= 1");
                std::vector<double> v;
                {
                    NoGil nogil;
                    v = f.stats(c, s, e, st, uint32_t(nbins), exact, libbigwig);
                }
                return to_array(v);
            },
            py::arg("chrom"), py::arg("start"), py::arg("end"), py::arg("type"), py::arg("nbins"), py::arg("exact"),
            py::arg("libbigwig") = false);
}

}  // namespace bwl_py
