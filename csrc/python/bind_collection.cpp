// bwl._core.Collection: argument checks and GIL release around the batcher.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "core/fd_cache.hpp"
#include "core/thread_pool.hpp"  // kMaxThreads
#include "python/arrays.hpp"
#include "python/batch_args.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"
#include "python/range_reader.hpp"

namespace bwl_py {

using bwl::Collection;

void bind_collection(py::module_& m) {
    m.attr("MAX_THREADS") = bwl::ThreadPool::kMaxThreads;
    m.def("set_max_open_files", [](size_t n) { bwl::FdCache::global().set_limit(n); });
    m.def("open_file_count", [] { return bwl::FdCache::global().open_count(); });
    m.def("max_open_files", [] { return bwl::FdCache::global().limit(); });

    py::class_<Collection>(m, "Collection")
        .def(py::init([](const std::vector<std::string>& paths, size_t threads, bool host_cache, uint64_t decoded,
                         const std::unordered_map<std::string, std::string>& alias_map, bool ucsc_ensembl,
                         const std::vector<py::object>& readers, bool bed_mask) {
                 bwl::CollectionOptions o;
                 o.threads = threads;
                 o.host_cache = host_cache;
                 o.decoded_cache_bytes = decoded;
                 o.aliases.map = alias_map;
                 o.aliases.ucsc_ensembl = ucsc_ensembl;
                 o.bed_mask = bed_mask;
                 std::vector<std::shared_ptr<bwl::RangeReader>> rs;
                 for (const auto& r : readers) rs.push_back(range_reader(r));
                 NoGil nogil;
                 return std::make_unique<Collection>(paths, o, rs);
             }),
             py::arg("paths"), py::arg("threads"), py::arg("host_cache"), py::arg("decoded_cache_bytes"),
             py::arg("alias_map") = std::unordered_map<std::string, std::string>(), py::arg("ucsc_ensembl") = false,
             py::arg("readers") = std::vector<py::object>(), py::arg("bed_mask") = false)
        .def("__len__", &Collection::size)
        .def("threads", &Collection::threads)
        .def("paths",
             [](const Collection& c) {
                 std::vector<std::string> p;
                 for (size_t i = 0; i < c.size(); ++i) p.push_back(c.path(i));
                 return p;
             })
        .def("chroms",
             [](const Collection& c) {
                 py::list out;
                 for (size_t i = 0; i < c.chrom_names().size(); ++i)
                     out.append(py::make_tuple(c.chrom_names()[i], c.chrom_sizes()[i], c.chrom_track_counts()[i]));
                 return out;
             })
        .def("track_chroms",
             [](const Collection& c, size_t t) {
                 std::vector<std::string> n;
                 for (const auto& ch : c.chroms(t)) n.push_back(ch.name);
                 return n;
             })
        .def("chrom_indices",
             [](const Collection& c, const std::vector<std::string>& names) {
                 py::array_t<uint32_t> out(py::ssize_t(names.size()));
                 auto* p = out.mutable_data();
                 for (size_t i = 0; i < names.size(); ++i) p[i] = c.chrom_index(names[i]);
                 return out;
             })
        .def("set_scale", &Collection::set_scale)
        .def("scale", &Collection::scale)
        .def("cache_info",
             [](const Collection& c) {
                 py::dict d;
                 d["host_bytes"] = c.host_cache_bytes();
                 bwl::DecodedCacheStats dc = c.decoded_cache_stats();
                 if (dc.enabled) {
                     d["decoded_bytes"] = dc.bytes;
                     d["decoded_max_bytes"] = dc.max_bytes;
                     d["decoded_hits"] = dc.hits;
                     d["decoded_misses"] = dc.misses;
                     d["decoded_resumes"] = dc.resumes;
                     d["decoded_evictions"] = dc.evictions;
                 }
                 return d;
             })
        .def(
            "values",
            [](Collection& c, const py::handle& chroms, const py::handle& starts, uint64_t length,
               const bwl::BatchOptions& options, const py::handle& tracks, py::array out, const py::handle& reverse,
               const py::handle& reverse_tracks) {
                BatchArgs a = batch_args(c.size(), chroms, starts, length, options, tracks, reverse, reverse_tracks);
                const bwl::BatchSpec& s = a.spec;
                size_t T = a.n_tracks;
                // The output must be exactly what the spec describes.
                uint64_t lout = s.window ? length / s.window : 0;
                std::vector<py::ssize_t> shape =
                    s.layout == bwl::Layout::BTL
                        ? std::vector<py::ssize_t>{py::ssize_t(s.batch), py::ssize_t(T), py::ssize_t(lout)}
                        : std::vector<py::ssize_t>{py::ssize_t(s.batch), py::ssize_t(lout), py::ssize_t(T)};
                bool ok = writable_c_array(out, 3, bwl::dtype_size(s.dtype));
                for (int i = 0; ok && i < 3; ++i) ok = out.shape(i) == shape[size_t(i)];
                if (!ok)
                    throw bwl::RangeError(
                        "out must be a writeable C-contiguous array of the batch's shape and dtype size");
                void* p = out.mutable_data();
                NoGil nogil;
                c.values(s, p);
            },
            py::arg("chroms"), py::arg("starts"), py::arg("length"), py::arg("options"), py::arg("tracks"),
            py::arg("out"), py::arg("reverse") = py::none(), py::arg("reverse_tracks") = py::none())
        .def("preload",
             [](Collection& c, size_t t) {
                 NoGil nogil;
                 return c.preload(t);
             })
        .def("region_stats",
             [](Collection& c, Array<uint32_t> chroms, Array<int64_t> starts, Array<int64_t> ends, bwl::Stat st,
                bool exact, Array<uint32_t> tracks) {
                 size_t n = size_t(chroms.size()), T = size_t(tracks.size());
                 if (size_t(starts.size()) != n || size_t(ends.size()) != n)
                     throw bwl::RangeError("chroms, starts and ends must have one length");
                 py::array_t<double> out({py::ssize_t(n), py::ssize_t(T)});
                 double* p = out.mutable_data();
                 const uint32_t* cp = chroms.data();
                 const int64_t *sp = starts.data(), *ep = ends.data();
                 const uint32_t* tp = tracks.data();
                 {
                     NoGil nogil;
                     c.region_stats(cp, sp, ep, n, st, exact, tp, T, p);
                 }
                 return out;
             })
        .def("intervals", [](Collection& c, uint32_t chrom, float threshold, bool mean, uint64_t merge) {
            std::vector<uint64_t> s, e;
            {
                NoGil nogil;
                c.intervals(chrom, threshold, mean, merge, s, e);
            }
            return py::make_tuple(to_array(s), to_array(e));
        });
}

}  // namespace bwl_py
