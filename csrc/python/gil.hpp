// Releasing and taking the GIL safely while the interpreter exits.
//
// Python before 3.14 ends a thread that wants the GIL after finalization
// began with pthread_exit(), a forced unwind through the C++ frames above
// it. pybind11's gil_scoped_release takes the GIL back in a noexcept
// destructor, so that unwind called std::terminate: a user's daemon thread
// inside Collection.values aborted the process at exit (exit 134). These
// guards check first: a thread that may no longer take the GIL parks (as
// Python 3.14 does itself; the process is ending and exit() ends it),
// whether it returns from a bwl call (NoGil) or is a core worker that wants
// the GIL for a remote read (WithGil; its caller waits on it, parked in
// turn). The finalizing thread, the main thread, takes the GIL as always.
// A thread that passes the check just before finalization starts is still
// ended by Python inside the GIL call: gil_park.c makes that call inside a
// C cancellation cleanup, so the thread parks there and no frame above it
// unwinds. Unwinding them would destroy state other threads still use (the
// pool's jobs read the caller's frames) and drop Python references without
// the GIL (both crashed at exit, 1 run in 30).
#pragma once

#include <Python.h>
#include <unistd.h>

extern "C" {
// gil_park.c: PyEval_RestoreThread / PyGILState_Ensure, or park the thread
// where Python would end it.
void bwl_restore_thread_or_park(PyThreadState* state);
PyGILState_STATE bwl_gil_ensure_or_park(void);
}

namespace bwl_py {

// Set by the module's init: the thread that finalizes the interpreter.
inline unsigned long main_thread_ident = 0;

// True when this thread may not take the GIL: the interpreter is being
// finalized by another thread.
inline bool gil_closed() {
#if PY_VERSION_HEX >= 0x030D0000
    bool exiting = Py_IsFinalizing();
#else
    bool exiting = _Py_IsFinalizing();
#endif
    return exiting && PyThread_get_thread_ident() != main_thread_ident;
}

// Never returns: the thread waits for the process to end. Not declared
// [[noreturn]]: before a noreturn call ASan unpoisons the stack through its
// intercepted sigaltstack, which (GCC 12's libasan) reports stale frames
// below the stack pointer as an overflow.
inline void park_thread() {
    for (;;) ::pause();
}

// The GIL released for the scope (replaces py::gil_scoped_release).
class NoGil {
public:
    NoGil() : state_(PyEval_SaveThread()) {}
    ~NoGil() {
        if (gil_closed()) park_thread();
        bwl_restore_thread_or_park(state_);
    }
    NoGil(const NoGil&) = delete;
    NoGil& operator=(const NoGil&) = delete;

private:
    PyThreadState* state_;
};

// The GIL taken for the scope from any thread, a core worker included
// (replaces py::gil_scoped_acquire).
class WithGil {
public:
    WithGil() {
        if (gil_closed()) park_thread();
        state_ = bwl_gil_ensure_or_park();
    }
    ~WithGil() { PyGILState_Release(state_); }
    WithGil(const WithGil&) = delete;
    WithGil& operator=(const WithGil&) = delete;

private:
    PyGILState_STATE state_;
};

}  // namespace bwl_py
