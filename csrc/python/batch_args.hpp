// Python arguments of one batch -> bwl::BatchSpec, shared by the CPU and
// CUDA bindings. The spec points into the arrays held here; the options
// arrive whole, as the bwl._core.BatchOptions bind_types.cpp binds.
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
                            uint64_t length, const bwl::BatchOptions& options, const py::handle& tracks,
                            const py::handle& reverse = py::none(), const py::handle& reverse_tracks = py::none()) {
    BatchArgs a;
    a.chroms = vec<uint32_t>(chroms, "chroms");
    a.starts = vec<int64_t>(starts, "starts");
    if (a.chroms.size() != a.starts.size()) throw bwl::RangeError("chroms and starts differ in length");
    bwl::BatchSpec& s = a.spec;
    static_cast<bwl::BatchOptions&>(s) = options;
    s.chrom = a.chroms.data();
    s.start = a.starts.data();
    s.batch = size_t(a.chroms.size());
    s.length = length;
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
