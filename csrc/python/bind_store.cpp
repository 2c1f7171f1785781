// Stores (bwl/store.py keeps the directory): a track's store file built,
// used, fingerprinted, and described for `bwl store info`.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bwl/collection.hpp"
#include "core/store_file.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"
#include "python/range_reader.hpp"

namespace bwl_py {

void bind_store(py::module_& m) {
    using bwl::Collection;
    py::class_<StoreSource>(m, "StoreSource",
                            "A stored track's source bytes from its store file alone (a Collection reader)")
        .def(py::init([](const std::string& path) {
                 NoGil nogil;
                 auto store = std::make_shared<const bwl::MappedStore>(path);
                 return StoreSource{std::make_shared<bwl::StoreMetaReader>(store), store->identity()};
             }),
             py::arg("path"))
        .def_readonly("identity", &StoreSource::identity)
        .def("size", [](StoreSource& s) { return s.reader->size(); });
    m.def(
        "store_build",
        [](Collection& c, size_t t, const std::string& path, const std::string& identity) {
            NoGil nogil;
            c.build_store(t, path, identity);
        },
        py::arg("collection"), py::arg("track"), py::arg("path"), py::arg("identity"));
    m.def(
        "store_use",
        [](Collection& c, size_t t, const std::string& path, const std::string& identity) {
            NoGil nogil;
            return c.use_store(t, path, identity);
        },
        py::arg("collection"), py::arg("track"), py::arg("path"), py::arg("identity"));
    m.def("store_fingerprint", &Collection::fingerprint, py::arg("collection"), py::arg("track"));
    m.def(
        "store_file_info",
        [](const std::string& path, bool verify) {
            py::dict d;
            size_t blocks, bad = 0;
            std::string identity;
            uint64_t file_bytes, data_bytes, source_size;
            {
                NoGil nogil;
                bwl::MappedStore s(path);
                identity = s.identity();
                blocks = s.blocks().size();
                file_bytes = s.file_bytes(), data_bytes = s.data_bytes(), source_size = s.source_size();
                if (verify) bad = s.verify_data().size();
            }
            d["identity"] = py::bytes(identity).attr("decode")("utf-8", "replace");
            d["blocks"] = blocks;
            d["file_bytes"] = file_bytes;
            d["data_bytes"] = data_bytes;
            d["source_size"] = source_size;
            if (verify) d["bad_blocks"] = bad;
            return d;
        },
        py::arg("path"), py::arg("verify") = false);
}

}  // namespace bwl_py
