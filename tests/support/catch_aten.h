// Catch2 for test files that use libtorch. c10's logging header (included by <ATen/ATen.h>) defines
// a CHECK macro of its own, which silently replaced Catch's wherever ATen came after Catch: a failing
// check then aborted the program with a log line instead of being reported with its expansion, and
// passing checks were not counted. Include this header instead of <catch2/catch.hpp>: it includes
// ATen first, drops c10's CHECK, then includes Catch, whose CHECK later ATen includes (guarded)
// leave alone.
#pragma once

#include <ATen/ATen.h>

#undef CHECK
#include <catch2/catch.hpp>
