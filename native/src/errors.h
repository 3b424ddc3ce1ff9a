// errors.h — the addon's error vocabulary and argument checks.
//
// Every error leaves the addon as a JavaScript Error carrying a stable string
// `code` (the contract callers switch on) and a message naming the cause.
// Errors that come from a failed system call also carry `errno` (the positive
// C errno value, comparable with os.constants.errno) and `syscall` (the call,
// e.g. "ioctl(TUNSETIFF)"). Argument errors are TypeError or RangeError, like
// Node's own ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
//
// The addon is built with NAPI_DISABLE_CPP_EXCEPTIONS: helpers here *make*
// errors; callers throw them with ThrowAsJavaScriptException() and return.

#ifndef WASAGI_NATIVE_ERRORS_H_
#define WASAGI_NATIVE_ERRORS_H_

#include <napi.h>

#include <cstdint>
#include <string>

namespace wasagi {

// Stable error codes (the `code` property).
constexpr const char* kErrInvalidArg = "ERR_INVALID_ARG";
constexpr const char* kErrNoDevice = "ERR_TUN_NO_DEVICE";
constexpr const char* kErrPermission = "ERR_TUN_PERMISSION";
constexpr const char* kErrBusy = "ERR_TUN_BUSY";
constexpr const char* kErrNotFound = "ERR_TUN_NOT_FOUND";
constexpr const char* kErrMode = "ERR_TUN_MODE";
constexpr const char* kErrSyscall = "ERR_TUN_SYSCALL";

// Symbolic name of an errno value ("EBUSY"), or "errno N" if unknown.
std::string ErrnoName(int err);

// A plain Error with `code`.
Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message);

// A TypeError / RangeError with code ERR_INVALID_ARG.
Napi::Error MakeTypeError(Napi::Env env, const std::string& message);
Napi::Error MakeRangeError(Napi::Env env, const std::string& message);

// An Error with `code`, `errno` and `syscall`. The message is
// "<what>: <strerror> (<ENAME>)".
Napi::Error MakeSysError(Napi::Env env, const char* code, int err, const char* syscall,
                         const std::string& what);

// Argument readers. Each returns false after throwing ERR_INVALID_ARG
// (a pending JavaScript exception); `name` is used in the message.

// An integer-valued Number in [min, max].
bool ReadInteger(Napi::Env env, const Napi::Value& v, const char* name, double min, double max,
                 double* out);
// An unsigned 32-bit offset or count (wasm32 addresses).
bool ReadU32(Napi::Env env, const Napi::Value& v, const char* name, uint32_t* out);
// A file descriptor: an integer in [0, INT32_MAX].
bool ReadFd(Napi::Env env, const Napi::Value& v, int* out);
// An ArrayBuffer (e.g. WebAssembly.Memory#buffer).
bool ReadArrayBuffer(Napi::Env env, const Napi::Value& v, const char* name, Napi::ArrayBuffer* out);

}  // namespace wasagi

#endif  // WASAGI_NATIVE_ERRORS_H_
