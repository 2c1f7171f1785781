// numpy arguments and results of every binding: input arrays converted to
// C-contiguous arrays of one type, their shapes checked, output arrays
// checked, vectors returned as arrays. Errors are bwl's (bwl::RangeError:
// ValueError in Python), as everywhere else in the bindings.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bwl/error.hpp"

namespace bwl_py {

namespace py = pybind11;

// A C-contiguous array of T, converted from any array-like when needed.
template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

// `h` as a one-dimensional Array<T>; RangeError naming `what` when it is
// not one (or cannot be converted).
template <class T>
Array<T> vec(const py::handle& h, const std::string& what) {
    auto a = Array<T>::ensure(h);
    if (!a || a.ndim() != 1) throw bwl::RangeError(what + " must be a one-dimensional array");
    return a;
}

// The same, copied into a std::vector (for the core's owned inputs).
template <class T>
std::vector<T> to_vector(const py::handle& h, const std::string& what) {
    Array<T> a = vec<T>(h, what);
    return std::vector<T>(a.data(), a.data() + a.size());
}

// A new one-dimensional numpy array holding a copy of v.
template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
    return py::array_t<T>(py::ssize_t(v.size()), v.empty() ? nullptr : v.data());
}

// Whether `out` can be written by the core as given: writeable,
// C-contiguous, `ndim` dimensions, items of `itemsize` bytes (the size of
// the batch's dtype: a bfloat16 batch may be uint16 bits). Callers check
// its shape.
inline bool writable_c_array(const py::array& out, py::ssize_t ndim, size_t itemsize) {
    return out.ndim() == ndim && (out.flags() & py::array::c_style) && out.writeable() &&
           out.itemsize() == py::ssize_t(itemsize);
}

}  // namespace bwl_py
