// bwl._core's enums and option structs: the core's DType, Layout, Summary,
// ValueTransform and BatchOptions (bwl/detail/batch_types.hpp), Stat
// (bwl/bbi.hpp) and the writer's SectionType and WriteOptions, bound
// before any function that takes them so that pybind11's signatures name
// them (bwl._core.DType, not bwl::DType). bwl/_types.py maps the user's
// strings to the enums; bwl/_options.py builds the structs.
#include <pybind11/pybind11.h>

#include <cmath>

#include "bwl/bbi.hpp"
#include "bwl/collection.hpp"
#include "bwl/writer.hpp"
#include "python/bindings.hpp"

namespace bwl_py {

void bind_types(py::module_& m) {
    py::enum_<bwl::DType>(m, "DType", "Output element type: float32, float16, bfloat16")
        .value("f32", bwl::DType::F32)
        .value("f16", bwl::DType::F16)
        .value("bf16", bwl::DType::BF16);
    py::enum_<bwl::Layout>(m, "Layout", "Output layout: (batch, track, length) or (batch, length, track)")
        .value("btl", bwl::Layout::BTL)
        .value("blt", bwl::Layout::BLT);
    py::enum_<bwl::Summary>(m, "Summary", "What a bin of a pooled window holds")
        .value("mean", bwl::Summary::Mean)
        .value("sum", bwl::Summary::Sum)
        .value("mean0", bwl::Summary::Mean0)
        .value("max", bwl::Summary::Max)
        .value("min", bwl::Summary::Min);
    py::enum_<bwl::SectionType>(m, "SectionType", "bigWig data section type the writer uses")
        .value("bedgraph", bwl::kBedGraph)
        .value("variable_step", bwl::kVariableStep)
        .value("fixed_step", bwl::kFixedStep);
    py::enum_<bwl::Stat>(m, "Stat", "A region statistic (stats, region_stats)")
        .value("mean", bwl::Stat::Mean)
        .value("min", bwl::Stat::Min)
        .value("max", bwl::Stat::Max)
        .value("cov", bwl::Stat::Coverage)
        .value("std", bwl::Stat::Std)
        .value("sum", bwl::Stat::Sum);

    // Option structs, built (and checked) once in Python: bwl.Transform,
    // bwl.BatchOptions and bwl.write make them; the bindings take them whole.
    py::class_<bwl::ValueTransform>(m, "ValueTransform", "Target transforms (bwl.Transform)")
        .def(py::init([](double pow, double soft_clip, double clip_lo, double clip_hi, bool log1p) {
                 return bwl::ValueTransform{pow, soft_clip, clip_lo, clip_hi, uint32_t(log1p)};
             }),
             py::arg("pow") = 1.0, py::arg("soft_clip") = HUGE_VAL, py::arg("clip_lo") = -HUGE_VAL,
             py::arg("clip_hi") = HUGE_VAL, py::arg("log1p") = false)
        .def_readonly("pow", &bwl::ValueTransform::pow)
        .def_readonly("soft_clip", &bwl::ValueTransform::soft_clip)
        .def_readonly("clip_lo", &bwl::ValueTransform::clip_lo)
        .def_readonly("clip_hi", &bwl::ValueTransform::clip_hi)
        .def_property_readonly("log1p", [](const bwl::ValueTransform& t) { return t.log1p != 0; });
    py::class_<bwl::BatchOptions>(m, "BatchOptions", "What a batch holds, whatever its windows (bwl.BatchOptions)")
        .def(py::init([](uint32_t window, bwl::Summary summary, const bwl::ValueTransform& transform, bool pad,
                         float default_value, bwl::DType dtype, bwl::Layout layout) {
                 return bwl::BatchOptions{window, summary, transform, pad, default_value, dtype, layout};
             }),
             py::arg("window"), py::arg("summary"), py::arg("transform"), py::arg("pad"), py::arg("default_value"),
             py::arg("dtype"), py::arg("layout"))
        .def_readonly("window", &bwl::BatchOptions::window)
        .def_readonly("summary", &bwl::BatchOptions::summary)
        .def_readonly("transform", &bwl::BatchOptions::transform)
        .def_readonly("pad", &bwl::BatchOptions::pad)
        .def_readonly("default_value", &bwl::BatchOptions::default_value)
        .def_readonly("dtype", &bwl::BatchOptions::dtype)
        .def_readonly("layout", &bwl::BatchOptions::layout);
    py::class_<bwl::WriteOptions>(m, "WriteOptions", "How bwl.write lays a bigWig out")
        .def(py::init([](bwl::SectionType type, bool compress, bool big_endian, uint32_t items_per_slot,
                         int zoom_levels, uint32_t block_size, bool allow_overlap) {
                 bwl::WriteOptions o;
                 o.type = type;
                 o.compress = compress;
                 o.big_endian = big_endian;
                 o.items_per_slot = items_per_slot;
                 o.zoom_levels = zoom_levels;
                 o.block_size = block_size;
                 o.allow_overlap = allow_overlap;
                 return o;
             }),
             py::arg("type"), py::arg("compress"), py::arg("big_endian"), py::arg("items_per_slot"),
             py::arg("zoom_levels"), py::arg("block_size"), py::arg("allow_overlap"));
}

}  // namespace bwl_py
