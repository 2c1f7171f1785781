// Python arguments of one batch -> bwl::BatchSpec, shared by the CPU and
// CUDA bindings. The spec points into the arrays held here. dtype, layout
// and summary arrive as the enums bind_types.cpp binds.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "python/arrays.hpp"

namespace bwl_py {

struct BatchArgs {
    Array<uint32_t> chroms, tracks, reverse_tracks;
    Array<int64_t> starts;
    Array<uint8_t> reverse;
    bwl::BatchSpec spec;
    size_t n_tracks;  // T of the output
};

inline BatchArgs batch_args(size_t collection_tracks, const py::handle& chroms, const py::handle& starts,
                            uint64_t length, uint32_t window, float dflt, bwl::DType dtype, bwl::Layout layout,
                            const py::handle& tracks, bwl::Summary summary = bwl::Summary::Mean,
                            const py::handle& transform = py::none(), bool pad = false,
                            const py::handle& reverse = py::none(), const py::handle& reverse_tracks = py::none()) {
    BatchArgs a;
    a.chroms = vec<uint32_t>(chroms, "chroms");
    a.starts = vec<int64_t>(starts, "starts");
    if (a.chroms.size() != a.starts.size()) throw bwl::RangeError("chroms and starts differ in length");
    bwl::BatchSpec& s = a.spec;
    s.chrom = a.chroms.data();
    s.start = a.starts.data();
    s.batch = size_t(a.chroms.size());
    s.length = length;
    s.window = window;
    s.default_value = dflt;
    s.dtype = dtype;
    s.layout = layout;
    s.summary = summary;
    s.pad = pad;
    if (!transform.is_none()) {  // (pow, soft_clip, clip_lo, clip_hi, log1p), as bwl.Transform sends it
        auto t = transform.cast<std::tuple<double, double, double, double, bool>>();
        s.transform.pow = std::get<0>(t);
        s.transform.soft_clip = std::get<1>(t);
        s.transform.clip_lo = std::get<2>(t);
        s.transform.clip_hi = std::get<3>(t);
        s.transform.log1p = std::get<4>(t);
    }
    a.n_tracks = collection_tracks;
    if (!tracks.is_none()) {
        a.tracks = vec<uint32_t>(tracks, "tracks");
        s.tracks = a.tracks.data();
        s.n_tracks = a.n_tracks = size_t(a.tracks.size());
    }
    if (!reverse.is_none()) {
        a.reverse = vec<uint8_t>(reverse, "reverse");
        if (size_t(a.reverse.size()) != s.batch) throw bwl::RangeError("reverse must have one entry per window");
        s.reverse = a.reverse.data();
        if (!reverse_tracks.is_none()) {
            a.reverse_tracks = vec<uint32_t>(reverse_tracks, "reverse_tracks");
            if (size_t(a.reverse_tracks.size()) != a.n_tracks)
                throw bwl::RangeError("reverse_tracks must have one entry per track read");
            s.reverse_tracks = a.reverse_tracks.data();
        }
    } else if (!reverse_tracks.is_none()) {
        throw bwl::RangeError("reverse_tracks needs reverse");
    }
    return a;
}

}  // namespace bwl_py
