// The parts of bwl._core, one function per area (module.cpp calls them
// in order; each lives in its own bind_*.cpp, module.cpp holds the first two).
// bind_types comes before the areas: a signature names an enum only if the
// enum was bound before the function.
#pragma once

#include <pybind11/pybind11.h>

namespace bwl_py {

namespace py = pybind11;

void bind_errors(py::module_& m);      // bwl's C++ errors -> Python exceptions (module.cpp)
void bind_build_info(py::module_& m);  // build_info, inflate_zlib (module.cpp)
void bind_types(py::module_& m);       // DType, Layout, Summary, SectionType enums (bind_types.cpp)
void bind_bigwig(py::module_& m);      // BbiFile (bind_bigwig.cpp)
void bind_writer(py::module_& m);      // write, BedGraphReader (bind_writer.cpp)
void bind_collection(py::module_& m);  // Collection, open-file limits (bind_collection.cpp)
void bind_fasta(py::module_& m);       // Fasta (bind_fasta.cpp)
void bind_store(py::module_& m);       // store_build, store_use, store_file_info (bind_store.cpp)
void bind_tools(
    py::module_& m);  // region_sums, read_bed_regions, format_rows, to_bedgraph, to_bed, merge (bind_tools.cpp)
#ifdef BWL_HAVE_CUDA
void bind_cuda(py::module_& m);  // CudaBatcher, DeviceArray (bind_cuda.cpp)
#endif

}  // namespace bwl_py
