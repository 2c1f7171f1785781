// bwl._core's enums: the core's DType, Layout and Summary
// (bwl/detail/batch_types.hpp) and the writer's SectionType
// (bwl/detail/format.hpp), bound before any function that takes them so
// that pybind11's signatures name them (bwl._core.DType, not bwl::DType).
// bwl/_types.py maps the user's strings to these values.
#include <pybind11/pybind11.h>

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
}

}  // namespace bwl_py
