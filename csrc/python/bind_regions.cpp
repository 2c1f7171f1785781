// Per-region summaries for the tools (bwl/tools/average.py): region_sums,
// and format_rows, which prints their tables (%g, as the UCSC tools) at C
// speed: 100,000 rows of formatted floats is most of a second in Python.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "python/arrays.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"

namespace bwl_py {

void bind_regions(py::module_& m) {
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
            char cell[64];
            for (size_t i = 0; i < n; ++i) {
                out += first[i];
                for (const py::array& c : cols) {
                    int k =
                        c.dtype().kind() == 'f'
                            ? std::snprintf(cell, sizeof cell, "\t%g", static_cast<const double*>(c.data())[i])
                            : std::snprintf(cell, sizeof cell, "\t%" PRId64, static_cast<const int64_t*>(c.data())[i]);
                    out.append(cell, size_t(k));
                }
                out += '\n';
            }
            return py::str(out);
        },
        py::arg("first"), py::arg("columns"),
        "One line per row: first[i], then each column's value (%g for floats), tab-separated");
}

}  // namespace bwl_py
