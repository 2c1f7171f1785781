// RangeReader over a Python object (the sources of bwl/_remote/): size(),
// read(off, n) -> bytes, prefetch([(off, n), ...]). Called from the core's
// threads with the GIL released, so each call takes the GIL; a Python
// exception becomes a RemoteIoError carrying its message (and errno, if any).
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "bwl/error.hpp"
#include "bwl/range_reader.hpp"
#include "python/gil.hpp"

namespace bwl_py {

namespace py = pybind11;

class PyRangeReader final : public bwl::RangeReader {
public:
    explicit PyRangeReader(py::object src) : src_(std::move(src)) {}
    ~PyRangeReader() override {
        if (!Py_IsInitialized() || gil_closed()) {
            src_.release();  // the interpreter is gone or going: nothing left to free
            return;
        }
        WithGil gil;
        src_ = py::object();
    }

    uint64_t size() override {
        WithGil gil;
        return guarded([&] { return src_.attr("size")().cast<uint64_t>(); });
    }

    void read(uint64_t off, uint64_t n, void* dst) override {
        WithGil gil;
        guarded([&] {
            py::object got = src_.attr("read")(off, n);
            py::buffer_info b = py::buffer(got).request();
            if (uint64_t(b.size) * uint64_t(b.itemsize) != n)
                throw bwl::RemoteIoError(name() + ": got " + std::to_string(b.size * b.itemsize) + " bytes at offset " +
                                             std::to_string(off) + ", asked for " + std::to_string(n),
                                         EIO);
            std::memcpy(dst, b.ptr, n);
            return 0;
        });
    }

    void prefetch(const bwl::ByteRanges& ranges) override {
        WithGil gil;
        guarded([&] {
            src_.attr("prefetch")(ranges);
            return 0;
        });
    }

private:
    std::string name() const { return py::str(src_.attr("name")).cast<std::string>(); }

    template <class F>
    auto guarded(F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (py::error_already_set& e) {
            int code = EIO;
            std::string msg = py::str(e.value());
            if (e.matches(PyExc_OSError)) {
                py::object err = e.value().attr("errno"), text = e.value().attr("strerror");
                if (!err.is_none()) code = err.cast<int>();
                if (!text.is_none()) msg = text.cast<std::string>();
            }
            std::string n = name();
            throw bwl::RemoteIoError(msg.find(n) == std::string::npos ? n + ": " + msg : msg, code);
        }
    }

    py::object src_;
};

// None -> null (a local path), else the Python source wrapped.
// A track's bytes from its store file alone (bwl._core.StoreSource,
// bind_store.cpp): what a stored remote track is opened from when its
// server cannot be reached. Read in C++, no Python call per read.
struct StoreSource {
    std::shared_ptr<bwl::RangeReader> reader;
    std::string identity;
};

inline std::shared_ptr<bwl::RangeReader> range_reader(const py::object& src) {
    if (src.is_none()) return nullptr;
    if (py::isinstance<StoreSource>(src)) return src.cast<const StoreSource&>().reader;
    return std::make_shared<PyRangeReader>(src);
}

}  // namespace bwl_py
