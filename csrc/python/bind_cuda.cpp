// bwl._core GPU bindings (built only with BWL_CUDA): CudaBatcher, a small
// device array for callers without torch (it exposes
// __cuda_array_interface__), and the batched inflate kernel for benches.
// Thin: argument checks, GIL release, pointers passed as integers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cuda_runtime.h>

#include <string>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "cuda/cuda_batch.hpp"
#include "cuda/cuda_util.hpp"
#include "python/arrays.hpp"
#include "python/batch_args.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"

namespace bwl_py {

namespace {

// Device memory owned by Python: what Collection.values returns on
// device="cuda" when torch is not installed (cupy, numba and torch read it
// through __cuda_array_interface__ without a copy).
class DeviceArray {
public:
    DeviceArray(std::vector<py::ssize_t> shape, std::string typestr, int device)
        : shape_(std::move(shape)), typestr_(std::move(typestr)), device_(device) {
        itemsize_ = typestr_.size() >= 3 ? std::stoi(typestr_.substr(2)) : 0;
        if (itemsize_ <= 0) throw bwl::RangeError("bad typestr " + typestr_);
        uint64_t n = uint64_t(itemsize_);
        for (auto d : shape_) {
            if (d < 0) throw bwl::RangeError("negative dimension");
            n *= uint64_t(d);
        }
        bytes_ = n;
        bwl::cuda::DeviceScope scope(device_);
        mem_.allocate(n);
    }

    uintptr_t ptr() const { return reinterpret_cast<uintptr_t>(mem_.p); }
    py::dict interface() const {
        py::dict d;
        d["shape"] = py::tuple(py::cast(shape_));
        d["typestr"] = typestr_;
        d["data"] = py::make_tuple(ptr(), false);
        d["version"] = 3;
        d["strides"] = py::none();
        d["stream"] = py::none();  // written and synchronized before it is returned
        return d;
    }
    py::array to_host() const {
        py::array a(py::dtype(typestr_), shape_);
        {
            NoGil nogil;
            bwl::cuda::check(cudaMemcpy(a.mutable_data(), mem_.p, bytes_, cudaMemcpyDeviceToHost), "cudaMemcpy");
        }
        return a;
    }
    const std::vector<py::ssize_t>& shape() const { return shape_; }
    const std::string& typestr() const { return typestr_; }
    int device() const { return device_; }
    uint64_t nbytes() const { return bytes_; }

private:
    std::vector<py::ssize_t> shape_;
    std::string typestr_;
    int device_ = 0, itemsize_ = 0;
    uint64_t bytes_ = 0;
    bwl::cuda::DeviceBuf mem_;  // movable, not copyable
};

}  // namespace

void bind_cuda(py::module_& m) {
    py::register_exception<bwl::cuda::OutOfMemory>(m, "CudaOutOfMemory", PyExc_MemoryError);
    m.def("cuda_device_count", &bwl::cuda_device_count, "CUDA devices usable now (0 without a driver or GPU)");
    m.def("cuda_unavailable_reason", &bwl::cuda_unavailable_reason, "why no CUDA device is usable; empty if one is");

    py::class_<bwl::CudaBatcher>(m, "CudaBatcher")
        .def(py::init([](bwl::Collection& c, int device, bool device_cache, uint64_t scratch_bytes) {
                 bwl::CudaOptions o;
                 o.device = device;
                 o.device_cache = device_cache;
                 if (scratch_bytes) o.scratch_bytes = scratch_bytes;
                 NoGil nogil;
                 return std::make_unique<bwl::CudaBatcher>(c, o);
             }),
             py::arg("collection"), py::arg("device"), py::arg("device_cache"), py::arg("scratch_bytes"),
             py::keep_alive<1, 2>())  // the batcher holds the collection
        .def_property_readonly("device", &bwl::CudaBatcher::device)
        .def("device_cache_bytes", &bwl::CudaBatcher::device_cache_bytes)
        .def("set_timing", &bwl::CudaBatcher::set_timing, py::arg("on"),
             "Record where each values() call spends its time (synchronizes after each chunk).")
        .def(
            "last_timing",
            [](const bwl::CudaBatcher& cb) {
                auto t = cb.last_timing();
                py::dict d;
                d["plan_s"] = t.plan_s;
                d["stage_s"] = t.stage_s;
                d["total_s"] = t.total_s;
                d["inflate_s"] = t.inflate_s;
                d["scan_s"] = t.scan_s;
                d["densify_s"] = t.densify_s;
                d["chunks"] = t.chunks;
                d["blocks"] = t.blocks;
                d["rows"] = t.rows;
                return d;
            },
            "The last values() call's time split (set_timing(True) first): seconds and counts.")
        .def(
            "values",
            [](bwl::CudaBatcher& cb, const py::handle& chroms, const py::handle& starts, uint64_t length,
               const bwl::BatchOptions& options, const py::handle& tracks, uintptr_t out, uintptr_t stream) {
                BatchArgs a = batch_args(cb.collection().size(), chroms, starts, length, options, tracks);
                const bwl::BatchSpec& s = a.spec;
                // The caller (bwl.Collection) allocated `out` with the batch's
                // shape and dtype; it is checked to be device memory here.
                NoGil nogil;
                cb.values(s, reinterpret_cast<void*>(out), reinterpret_cast<void*>(stream));
            },
            py::arg("chroms"), py::arg("starts"), py::arg("length"), py::arg("options"), py::arg("tracks"),
            py::arg("out"), py::arg("stream"));

    py::class_<DeviceArray>(m, "DeviceArray")
        .def(py::init<std::vector<py::ssize_t>, std::string, int>(), py::arg("shape"), py::arg("typestr"),
             py::arg("device"))
        .def_property_readonly("ptr", &DeviceArray::ptr)
        .def_property_readonly("__cuda_array_interface__", &DeviceArray::interface)
        .def_property_readonly("shape", [](const DeviceArray& a) { return py::tuple(py::cast(a.shape())); })
        .def_property_readonly("typestr", &DeviceArray::typestr)
        .def_property_readonly("device", &DeviceArray::device)
        .def_property_readonly("nbytes", &DeviceArray::nbytes)
        .def("get", &DeviceArray::to_host, "Copy to a new numpy array");

    m.def(
        "cuda_inflate_streams",
        [](const std::vector<py::bytes>& streams, const std::vector<uint64_t>& caps, bool zlib, int repeats,
           bool want_output, int device) {
            if (streams.size() != caps.size()) throw bwl::RangeError("streams and caps differ in length");
            std::vector<std::string> held(streams.begin(), streams.end());
            std::vector<const uint8_t*> src;
            std::vector<uint64_t> len;
            for (auto& s : held) {
                src.push_back(reinterpret_cast<const uint8_t*>(s.data()));
                len.push_back(s.size());
            }
            bwl::CudaInflateResult r;
            {
                NoGil nogil;
                r = bwl::cuda_inflate_streams(src, len, caps, zlib ? bwl::Wrapper::Zlib : bwl::Wrapper::Raw, repeats,
                                              want_output, device);
            }
            py::list outs;
            if (want_output)
                for (size_t i = 0; i < held.size(); ++i)
                    outs.append(
                        py::bytes(reinterpret_cast<const char*>(r.output.data() + r.out_offset[i]), r.out_len[i]));
            return py::make_tuple(r.seconds, to_array(r.status), to_array(r.out_len), outs);
        },
        py::arg("streams"), py::arg("caps"), py::arg("zlib") = true, py::arg("repeats") = 3,
        py::arg("want_output") = false, py::arg("device") = -1,
        "Inflate each stream on the GPU (one launch, a warp per stream): (best seconds, status, out_len, outputs)");
}

}  // namespace bwl_py
