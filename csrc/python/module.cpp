// bwl._core: thin pybind11 bindings over the C++ core. No logic lives here:
// argument conversion, GIL release, and exception translation only. This
// file makes the module, maps the errors and reports the build; each area's
// bindings are in their own bind_*.cpp (python/bindings.hpp lists them).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bwl/error.hpp"
#include "core/block_inflater.hpp"
#include "core/cpu_features.hpp"
#include "core/inflate.hpp"
#include "python/bindings.hpp"
#include "python/gil.hpp"

namespace bwl_py {

namespace {

py::list split_commas(const std::string& s) {
    py::list out;
    size_t a = 0;
    while (a < s.size()) {
        size_t b = s.find(',', a);
        if (b == std::string::npos) b = s.size();
        if (b > a) out.append(s.substr(a, b - a));
        a = b + 1;
    }
    return out;
}

// Instruction sets the compiler was allowed to use everywhere (-m flags):
// the wheel's baseline. Code that picks faster paths at run time (the
// inflate's BMI2 fast loop and AVX2 adler32) goes by what the CPU has, below.
py::list compiled_cpu_features() {
    py::list out;
#if defined(__x86_64__)
#ifdef __SSE4_2__
    out.append("sse4.2");
#endif
#ifdef __AVX__
    out.append("avx");
#endif
#ifdef __AVX2__
    out.append("avx2");
#endif
#ifdef __BMI2__
    out.append("bmi2");
#endif
#ifdef __AVX512F__
    out.append("avx512f");
#endif
    if (py::len(out) == 0) out.append("x86-64 baseline (sse2)");
#elif defined(__aarch64__)
    out.append("aarch64 baseline");
#endif
    return out;
}

py::list detected_cpu_features() {
    const bwl::CpuFeatures& f = bwl::cpu_features();
    py::list out;
    if (f.sse42) out.append("sse4.2");
    if (f.pclmul) out.append("pclmul");
    if (f.avx2) out.append("avx2");
    if (f.bmi2) out.append("bmi2");
    if (f.avx512f) out.append("avx512f");
    return out;
}

}  // namespace

// Each C++ error type becomes one Python exception (see bwl/error.hpp).
void bind_errors(py::module_& m) {
    static py::exception<bwl::FormatError> format_error(m, "FormatError", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const bwl::FormatError& e) {
            py::set_error(format_error, e.what());
        } catch (const bwl::KeyError& e) {
            PyErr_SetString(PyExc_KeyError, e.what());
        } catch (const bwl::RangeError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const bwl::RemoteIoError& e) {
            py::object err = py::module_::import("bwl._remote").attr("remote_error")(e.code, e.what());
            PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
        } catch (const bwl::IoError& e) {
            // OSError(errno, msg) becomes FileNotFoundError etc. by itself.
            PyObject* args = Py_BuildValue("(is)", e.code, e.what());
            PyErr_SetObject(PyExc_OSError, args);
            Py_XDECREF(args);
        }
    });
}

// A bytes object written in place, then shrunk to what was written (as the
// deflate package does): bench/inflate.py's bwl rows pay no zero fill or
// second copy that its libdeflate row does not.
class BytesOut {
public:
    explicit BytesOut(uint64_t cap) {
        PyObject* p = PyBytes_FromStringAndSize(nullptr, py::ssize_t(cap));
        if (!p) throw py::error_already_set();
        own_ = py::reinterpret_steal<py::object>(p);
    }
    uint8_t* data() const { return reinterpret_cast<uint8_t*>(PyBytes_AS_STRING(own_.ptr())); }
    py::bytes take(uint64_t n) {
        PyObject* p = own_.release().ptr();
        if (_PyBytes_Resize(&p, py::ssize_t(n)) != 0) throw py::error_already_set();  // p is freed then
        return py::reinterpret_steal<py::bytes>(p);
    }

private:
    py::object own_;
};

void bind_build_info(py::module_& m) {
    m.def("build_info", [] {
        py::dict d;
        d["version"] = BWL_VERSION;
        d["inflate"] = bwl::inflate_backend();
        d["inflate_version"] = bwl::inflate_version();
#ifdef BWL_HAVE_CUDA
        d["cuda"] = true;
#else
        d["cuda"] = false;
#endif
        d["cuda_architectures"] = split_commas(BWL_CUDA_ARCHS);
        d["cpu_compiled_for"] = compiled_cpu_features();
        d["cpu_detected"] = detected_cpu_features();
        d["notes"] = std::string(BWL_BUILD_NOTES);
        return d;
    });

    m.def(
        "inflate_zlib",
        [](py::buffer data, uint64_t cap, int64_t stop) {
            py::buffer_info in = data.request();
            BytesOut out(cap);
            uint64_t n;
            {
                NoGil nogil;
                const auto* src = static_cast<const uint8_t*>(in.ptr);
                if (stop < 0) {
                    n = bwl::inflate_zlib(src, uint64_t(in.size), out.data(), cap);
                } else {
                    thread_local bwl::BlockInflater inf;
                    inf.begin(src, uint64_t(in.size), out.data(), cap);
                    n = inf.extend(uint64_t(stop));
                }
            }
            return out.take(n);
        },
        py::arg("data"), py::arg("cap"), py::arg("stop") = -1,
        "Inflates a zlib stream into at most cap bytes (stop >= 0: bwl's decoder, stopping once it has stop bytes)");
    m.def(
        "inflate_zlib_pair",
        [](py::buffer a, py::buffer b, uint64_t cap) {
            py::buffer_info ia = a.request(), ib = b.request();
            BytesOut oa(cap), ob(cap);
            uint64_t na, nb;
            {
                NoGil nogil;
                thread_local bwl::BlockInflater x, y;
                x.begin(static_cast<const uint8_t*>(ia.ptr), uint64_t(ia.size), oa.data(), cap);
                y.begin(static_cast<const uint8_t*>(ib.ptr), uint64_t(ib.size), ob.data(), cap);
                bwl::BlockInflater::extend_pair(x, ~uint64_t(0), y, ~uint64_t(0));
                na = x.extend(~uint64_t(0));
                nb = y.extend(~uint64_t(0));
            }
            return py::make_tuple(oa.take(na), ob.take(nb));
        },
        py::arg("a"), py::arg("b"), py::arg("cap"),
        "Inflates two zlib streams with bwl's decoder, the two in turn on one thread (as the batch engine pairs "
        "blocks)");
}

}  // namespace bwl_py

PYBIND11_MODULE(_core, m) {
    m.doc() = "bwl C++ core (internal; use the bwl package)";
    bwl_py::main_thread_ident =
        pybind11::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
    bwl_py::bind_errors(m);
    bwl_py::bind_build_info(m);
    bwl_py::bind_types(m);
    bwl_py::bind_bigwig(m);
    bwl_py::bind_writer(m);
    bwl_py::bind_collection(m);
    bwl_py::bind_fasta(m);
    bwl_py::bind_store(m);
    bwl_py::bind_tools(m);
#ifdef BWL_HAVE_CUDA
    bwl_py::bind_cuda(m);
#endif
}
