// errors.cc — error objects with stable codes, and argument checks.
// See errors.h for the contract.

#include "errors.h"

#include <uv.h>

#include <cmath>
#include <cstring>

namespace wasagi {

std::string ErrnoName(int err) {
  // A short table for the values this addon meets; libuv knows most others
  // (its codes are -errno on Unix). EBADFD is what a tun fd reports once its
  // device has been deleted, and libuv has no name for it.
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ENOSPC: return "ENOSPC";
    case EBADFD: return "EBADFD";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case ENXIO: return "ENXIO";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENETDOWN: return "ENETDOWN";
    default: break;
  }
  const char* name = uv_err_name(-err);
  if (name != nullptr && std::strncmp(name, "Unknown", 7) != 0) return name;
  return "errno " + std::to_string(err);
}

Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

Napi::Error MakeTypeError(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::TypeError::New(env, message);
  e.Set("code", Napi::String::New(env, kErrInvalidArg));
  return e;
}

Napi::Error MakeRangeError(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::RangeError::New(env, message);
  e.Set("code", Napi::String::New(env, kErrInvalidArg));
  return e;
}

Napi::Error MakeSysError(Napi::Env env, const char* code, int err, const char* syscall,
                         const std::string& what) {
  std::string message = what + ": " + std::strerror(err) + " (" + ErrnoName(err) + ")";
  Napi::Error e = MakeError(env, code, message);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

bool ReadInteger(Napi::Env env, const Napi::Value& v, const char* name, double min, double max,
                 double* out) {
  if (!v.IsNumber()) {
    MakeTypeError(env, std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < min || d > max) {
    MakeRangeError(env, std::string(name) + " must be an integer in " +
                            std::to_string(static_cast<int64_t>(min)) + ".." +
                            std::to_string(static_cast<int64_t>(max)))
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = d;
  return true;
}

bool ReadU32(Napi::Env env, const Napi::Value& v, const char* name, uint32_t* out) {
  double d;
  if (!ReadInteger(env, v, name, 0, 4294967295.0, &d)) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

bool ReadFd(Napi::Env env, const Napi::Value& v, int* out) {
  double d;
  if (!ReadInteger(env, v, "fd", 0, 2147483647.0, &d)) return false;
  *out = static_cast<int>(d);
  return true;
}

bool ReadArrayBuffer(Napi::Env env, const Napi::Value& v, const char* name,
                     Napi::ArrayBuffer* out) {
  if (!v.IsArrayBuffer()) {
    MakeTypeError(env, std::string(name) +
                           " must be an ArrayBuffer (e.g. a non-shared WebAssembly.Memory's buffer)")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = v.As<Napi::ArrayBuffer>();
  return true;
}

}  // namespace wasagi
