// Typed errors of the core. The Python binding maps each to one exception:
// FormatError -> bwl.FormatError, KeyError -> KeyError, RangeError -> ValueError,
// IoError -> OSError, RemoteIoError -> bwl.RemoteError. Every message names
// the file it is about.
#pragma once

#include <stdexcept>
#include <string>

namespace bwl {

// The file is not a valid BigWig (bad magic, truncated, corrupt block, ...).
struct FormatError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An unknown chromosome.
struct KeyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A bad range or argument (start >= end, end past the chromosome, ...).
struct RangeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The operating system refused (file missing, permission, read failure).
struct IoError : std::runtime_error {
    explicit IoError(const std::string& msg, int err = 0) : std::runtime_error(msg), code(err) {}
    int code;  // errno, 0 when not from the OS
};

// A read through a RangeReader failed (a URL, a Python file object): raised
// in Python as bwl.RemoteError (FileNotFoundError too when code is ENOENT).
struct RemoteIoError : IoError {
    using IoError::IoError;
};

// A path as the OS will see it: C strings end at the first NUL, so a name
// holding one would open another file than the one named (RangeError).
inline void check_path(const std::string& path) {
    if (path.find('\0') != std::string::npos)
        throw RangeError("path contains a NUL byte: " + path.substr(0, path.find('\0')) + "\\0...");
}

}  // namespace bwl
