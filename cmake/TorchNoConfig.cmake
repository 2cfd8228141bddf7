# libtorch imported straight from EMOSCOPE_TORCH_PREFIX (a PyTorch wheel's torch/ folder or an
# unpacked libtorch: lib/ and include/), without TorchConfig.cmake: a CUDA build's config insists
# on a CUDA toolkit (nvcc, headers), which a machine with only the wheel does not have; emoscope
# compiles no CUDA code and needs only the libraries. Sets TORCH_LIBRARIES and TORCH_CXX_FLAGS
# as find_package(Torch) does.
if(NOT EMOSCOPE_TORCH_PREFIX)
  message(FATAL_ERROR "EMOSCOPE_TORCH_NO_CONFIG needs EMOSCOPE_TORCH_PREFIX (e.g. python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')")
endif()
foreach(name torch torch_cpu c10)
  find_library(EMOSCOPE_LIB_${name} ${name} PATHS ${EMOSCOPE_TORCH_PREFIX}/lib NO_DEFAULT_PATH)
  if(NOT EMOSCOPE_LIB_${name})
    message(FATAL_ERROR "EMOSCOPE_TORCH_PREFIX=${EMOSCOPE_TORCH_PREFIX}: no lib${name}.so in its lib/")
  endif()
endforeach()
find_library(EMOSCOPE_LIB_torch_cuda torch_cuda PATHS ${EMOSCOPE_TORCH_PREFIX}/lib NO_DEFAULT_PATH)
find_library(EMOSCOPE_LIB_c10_cuda c10_cuda PATHS ${EMOSCOPE_TORCH_PREFIX}/lib NO_DEFAULT_PATH)
if(NOT EXISTS ${EMOSCOPE_TORCH_PREFIX}/include/ATen/ATen.h)
  message(FATAL_ERROR "EMOSCOPE_TORCH_PREFIX=${EMOSCOPE_TORCH_PREFIX}: no include/ATen/ATen.h")
endif()
add_library(emoscope_libtorch INTERFACE)
target_include_directories(emoscope_libtorch SYSTEM INTERFACE ${EMOSCOPE_TORCH_PREFIX}/include
                                                              ${EMOSCOPE_TORCH_PREFIX}/include/torch/csrc/api/include)
if(EMOSCOPE_LIB_torch_cuda AND EMOSCOPE_LIB_c10_cuda)
  # Nothing references the CUDA libraries' symbols; linked as needed they would be dropped, and
  # libtorch would find no CUDA backend registered.
  target_link_libraries(emoscope_libtorch INTERFACE
    "-Wl,--no-as-needed,${EMOSCOPE_LIB_torch_cuda},${EMOSCOPE_LIB_c10_cuda},--as-needed")
  message(STATUS "emoscope: libtorch with CUDA from ${EMOSCOPE_TORCH_PREFIX}")
endif()
target_link_libraries(emoscope_libtorch INTERFACE ${EMOSCOPE_LIB_torch} ${EMOSCOPE_LIB_torch_cpu} ${EMOSCOPE_LIB_c10}
                                                  Threads::Threads)
# A c10 built with glog (Debian's libtorch, not the wheels) has its headers call glog.
file(STRINGS ${EMOSCOPE_TORCH_PREFIX}/include/c10/macros/cmake_macros.h emoscope_c10_glog REGEX "^#define C10_USE_GLOG")
if(emoscope_c10_glog)
  find_library(EMOSCOPE_LIB_glog glog REQUIRED)
  target_link_libraries(emoscope_libtorch INTERFACE ${EMOSCOPE_LIB_glog})
endif()
# The libraries' folder (the CUDA ones are named inside a flag, where CMake does not look).
set_property(TARGET emoscope_libtorch APPEND PROPERTY INTERFACE_LINK_OPTIONS "-Wl,-rpath,${EMOSCOPE_TORCH_PREFIX}/lib")
set(TORCH_LIBRARIES emoscope_libtorch)
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${EMOSCOPE_TORCH_CXX11_ABI}")
set(Torch_VERSION "(imported without config)")
