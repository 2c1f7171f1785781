// bwl._core.Fasta: argument checks and GIL release around the FASTA reader.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bwl/error.hpp"
#include "bwl/fasta.hpp"
#include "python/arrays.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"
#include "python/range_reader.hpp"

namespace bwl_py {

void bind_fasta(py::module_& m) {
    py::class_<bwl::Fasta>(m, "Fasta")
        .def(py::init([](const std::string& path, size_t threads,
                         const std::unordered_map<std::string, std::string>& alias_map, bool ucsc_ensembl,
                         const py::object& reader, const py::bytes& fai, const py::bytes& gzi) {
                 bwl::ChromAliases a;
                 a.map = alias_map;
                 a.ucsc_ensembl = ucsc_ensembl;
                 bwl::FastaRemote remote{range_reader(reader), std::string(fai), std::string(gzi)};
                 NoGil nogil;
                 return std::make_unique<bwl::Fasta>(path, threads, std::move(a), remote.reader ? &remote : nullptr);
             }),
             py::arg("path"), py::arg("threads"), py::arg("alias_map") = std::unordered_map<std::string, std::string>(),
             py::arg("ucsc_ensembl") = false, py::arg("reader") = py::none(), py::arg("fai") = py::bytes(),
             py::arg("gzi") = py::bytes())
        .def("chroms",
             [](const bwl::Fasta& f) {
                 py::list out;
                 for (const auto& e : f.entries()) out.append(py::make_tuple(e.name, e.length));
                 return out;
             })
        .def("indices",
             [](const bwl::Fasta& f, const std::vector<std::string>& names) {
                 py::array_t<uint32_t> out(py::ssize_t(names.size()));
                 for (size_t i = 0; i < names.size(); ++i) out.mutable_data()[i] = f.index(names[i]);
                 return out;
             })
        .def("fetch",
             [](const bwl::Fasta& f, const std::string& chrom, int64_t start, int64_t end) {
                 uint32_t c = f.index(chrom);
                 if (start < 0 || end < 0)
                     throw bwl::RangeError("invalid range " + chrom + ":" + std::to_string(start) + "-" +
                                           std::to_string(end));
                 std::string s;
                 {
                     NoGil nogil;
                     s = f.fetch(c, start, end);
                 }
                 return s;
             })
        .def(
            "onehot",
            [](bwl::Fasta& f, Array<uint32_t> chroms, Array<int64_t> starts, uint64_t length, float other, bwl::DType d,
               bool channels_last, py::array out, const py::handle& reverse) {
                size_t B = size_t(chroms.size());
                if (size_t(starts.size()) != B) throw bwl::RangeError("chroms and starts differ in length");
                if (!writable_c_array(out, 3, bwl::dtype_size(d)) || out.size() != py::ssize_t(B * length * 4))
                    throw bwl::RangeError("out must be a writeable C-contiguous array of B x L x 4 elements");
                Array<uint8_t> rev;
                if (!reverse.is_none()) {
                    rev = vec<uint8_t>(reverse, "reverse");
                    if (size_t(rev.size()) != B) throw bwl::RangeError("reverse must have one entry per window");
                }
                void* p = out.mutable_data();
                NoGil nogil;
                f.onehot(chroms.data(), starts.data(), B, length, other, d, channels_last, p,
                         reverse.is_none() ? nullptr : rev.data());
            },
            py::arg("chroms"), py::arg("starts"), py::arg("length"), py::arg("other"), py::arg("dtype"),
            py::arg("channels_last"), py::arg("out"), py::arg("reverse") = py::none())
        .def("n_fraction", [](bwl::Fasta& f, Array<uint32_t> chroms, Array<int64_t> starts, uint64_t length) {
            size_t B = size_t(chroms.size());
            if (size_t(starts.size()) != B) throw bwl::RangeError("chroms and starts differ in length");
            py::array_t<float> out{py::ssize_t(B)};
            float* p = out.mutable_data();
            NoGil nogil;
            f.n_fraction(chroms.data(), starts.data(), B, length, p);
            return out;
        });
}

}  // namespace bwl_py
