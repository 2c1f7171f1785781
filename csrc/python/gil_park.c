/* Taking the GIL where Python may end the thread instead (gil.hpp).
 *
 * Python before 3.14 ends a thread that wants the GIL after finalization
 * began with pthread_exit(), a forced unwind. These calls take the GIL
 * inside a C cancellation cleanup (pthread_cleanup_push, compiled as C:
 * glibc's setjmp form). glibc's unwinder checks for that cleanup before it
 * asks a frame's personality routine anything, and jumps to it at this
 * frame: the thread parks here, and no C++ frame above is unwound or even
 * inspected. The C++ way (catching the unwind in a handler) needs the C++
 * runtime's personality to understand the unwinder's context: libc++
 * linked statically (the zig-built wheels) reads libgcc_s's context with
 * its own libunwind's layout and jumped to garbage. */
#include <Python.h>
#include <pthread.h>
#include <unistd.h>

/* Never returns: the process is ending, and exit() ends the thread. */
static void park(void* unused) {
    (void)unused;
    for (;;) pause();
}

void bwl_restore_thread_or_park(PyThreadState* state) {
    pthread_cleanup_push(park, NULL);
    PyEval_RestoreThread(state);
    pthread_cleanup_pop(0);
}

PyGILState_STATE bwl_gil_ensure_or_park(void) {
    PyGILState_STATE s;
    pthread_cleanup_push(park, NULL);
    s = PyGILState_Ensure();
    pthread_cleanup_pop(0);
    return s;
}
