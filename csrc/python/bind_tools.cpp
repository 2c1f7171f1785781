// The tools' bindings (bwl/tools/): region_sums and read_bed_regions for
// average-over-bed, format_rows, which prints its tables (%g, as the UCSC
// tools) at C speed (100,000 rows of formatted floats is most of a second
// in Python), to_bedgraph, to_bed and merge.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/bed_regions.hpp"
#include "core/text_out.hpp"
#include "core/tools.hpp"
#include "python/arrays.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"

namespace bwl_py {

namespace {

py::dict regions_dict(bwl::BedRegions&& r) {
    py::dict d;
    d["chrom_names"] = r.chrom_names;
    d["chrom"] = to_array(r.chrom);
    d["start"] = to_array(r.start);
    d["end"] = to_array(r.end);
    d["names"] = r.names;
    d["size"] = to_array(r.size);
    d["sub_line"] = to_array(r.sub_line);
    d["sub_start"] = to_array(r.sub_start);
    d["sub_end"] = to_array(r.sub_end);
    d["lines"] = r.lines;
    return d;
}

}  // namespace

void bind_tools(py::module_& m) {
    m.def(
        "read_bed_regions",
        [](const std::string& path, int64_t around, bool keep_lines) {
            bwl::BedRegions r;
            {
                NoGil nogil;
                r = bwl::read_bed_regions(path, around, keep_lines);
            }
            return regions_dict(std::move(r));
        },
        py::arg("path"), py::arg("around") = 0, py::arg("keep_lines") = false,
        "A BED file's regions (plain or gzip) as columns: see core/bed_regions.hpp");
    m.def(
        "parse_bed_regions",
        [](const py::bytes& text, const std::string& label, int64_t around, bool keep_lines) {
            std::string_view v = text;
            bwl::BedRegions r;
            {
                NoGil nogil;
                r = bwl::parse_bed_regions(v.data(), v.size(), label, around, keep_lines);
            }
            return regions_dict(std::move(r));
        },
        py::arg("text"), py::arg("label"), py::arg("around") = 0, py::arg("keep_lines") = false);
    m.def(
        "region_sums",
        [](bwl::Collection& c, Array<uint32_t> chroms, Array<int64_t> starts, Array<int64_t> ends,
           Array<uint32_t> tracks) {
            const size_t n = size_t(chroms.size()), T = size_t(tracks.size());
            if (size_t(starts.size()) != n || size_t(ends.size()) != n)
                throw bwl::RangeError("chroms, starts and ends must have one length");
            const std::vector<py::ssize_t> shape{py::ssize_t(n), py::ssize_t(T)};
            py::array_t<uint64_t> covered(shape);
            py::array_t<double> sum(shape), mn(shape), mx(shape);
            bwl::RegionSumsOut out{covered.mutable_data(), sum.mutable_data(), mn.mutable_data(), mx.mutable_data()};
            const uint32_t* cp = chroms.data();
            const int64_t *sp = starts.data(), *ep = ends.data();
            const uint32_t* tp = tracks.data();
            {
                NoGil nogil;
                c.region_sums(cp, sp, ep, n, tp, T, out);
            }
            py::dict d;
            d["covered"] = covered;
            d["sum"] = sum;
            d["min"] = mn;
            d["max"] = mx;
            return d;
        },
        py::arg("collection"), py::arg("chroms"), py::arg("starts"), py::arg("ends"), py::arg("tracks"),
        "(n, T) covered (uint64), sum, min, max (float64) of each region and track");
    m.def(
        "format_rows",
        [](const std::vector<std::string>& first, const std::vector<py::array>& columns) {
            const size_t n = first.size();
            std::vector<py::array> cols;
            for (const py::array& c : columns) {
                if (c.ndim() != 1 || size_t(c.shape(0)) != n)
                    throw bwl::RangeError("format_rows: each column must be one value per row");
                if (c.dtype().kind() == 'f') cols.push_back(py::array_t<double, py::array::forcecast>::ensure(c));
                else cols.push_back(py::array_t<int64_t, py::array::forcecast>::ensure(c));
            }
            std::string out;
            out.reserve(n * (16 + 12 * cols.size()));
            for (size_t i = 0; i < n; ++i) {
                out += first[i];
                for (const py::array& c : cols) {
                    out += '\t';
                    if (c.dtype().kind() == 'f') bwl::append_g(out, static_cast<const double*>(c.data())[i]);
                    else bwl::append_int(out, static_cast<const int64_t*>(c.data())[i]);
                }
                out += '\n';
            }
            return py::str(out);
        },
        py::arg("first"), py::arg("columns"),
        "One line per row: first[i], then each column's value (%g for floats), tab-separated");
    m.def(
        "to_bedgraph",
        [](const bwl::BbiFile& f, const std::string& out, const std::string& chrom, int64_t start, int64_t end) {
            NoGil nogil;
            bwl::TextOut o(out);
            bwl::write_bedgraph(f, o, chrom, start, end);
            o.commit();
        },
        py::arg("file"), py::arg("out"), py::arg("chrom") = "", py::arg("start") = 0, py::arg("end") = -1,
        "bigWigToBedGraph: the file's items as bedGraph to `out` ('-': stdout)");
    m.def(
        "to_bed",
        [](const bwl::BbiFile& f, const std::string& out, const std::string& chrom, int64_t start, int64_t end,
           uint64_t max_items, const std::string& header) {
            NoGil nogil;
            bwl::TextOut o(out);
            o.put(header);
            bwl::write_bed(f, o, chrom, start, end, max_items);
            o.commit();
        },
        py::arg("file"), py::arg("out"), py::arg("chrom") = "", py::arg("start") = 0, py::arg("end") = -1,
        py::arg("max_items") = 0, py::arg("header") = "",
        "bigBedToBed: the file's records as BED to `out` ('-': stdout), after `header`");
    m.def(
        "merge",
        [](bwl::Collection& c, const std::string& out, double threshold, double adjust, double clip, bool max) {
            NoGil nogil;
            bwl::TextOut o(out);
            bwl::write_merge(c, o, bwl::MergeOptions{threshold, adjust, clip, max});
            o.commit();
        },
        py::arg("collection"), py::arg("out"), py::arg("threshold"), py::arg("adjust"), py::arg("clip"), py::arg("max"),
        "bigWigMerge: per-base sum (or max) of the tracks as bedGraph to `out` ('-': stdout)");
}

}  // namespace bwl_py
