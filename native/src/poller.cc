// poller.cc — Poller: uv_poll_t readiness plus an in-callback burst read.
// See poller.h for the JavaScript contract.
//
// Ownership. The uv_poll_t is heap-allocated and owned by the Poller until
// Release() hands it to uv_close(), whose callback frees it; handle->data is
// cleared first, so a closed handle can never reach a dead Poller. Release()
// runs on close(), on garbage collection (~Poller) and at environment
// teardown (a cleanup hook), whichever comes first: a worker thread that ends
// with a Poller open must not leave a live handle on its loop.

#include "poller.h"

#include <sched.h>
#include <time.h>

#include <unordered_set>

#include "errors.h"

namespace wasagi {

namespace {

// Per-environment record of the fds watched by Pollers not yet closed. libuv
// allows one watcher per fd and loop, and close(fd) must not pull an fd out
// from under a live watcher.
struct Registry {
  std::unordered_set<int> fds;
};

Registry* GetRegistry(Napi::Env env) { return env.GetInstanceData<Registry>(); }

}  // namespace

void InitPollerRegistry(Napi::Env env) { env.SetInstanceData<Registry>(new Registry()); }

bool PollerHoldsFd(Napi::Env env, int fd) {
  Registry* reg = GetRegistry(env);
  return reg != nullptr && reg->fds.count(fd) != 0;
}

Napi::Function Poller::DefineClass(Napi::Env env) {
  return ObjectWrap<Poller>::DefineClass(env, "Poller",
                                         {
                                             InstanceMethod("start", &Poller::Start),
                                             InstanceMethod("stop", &Poller::Stop),
                                             InstanceMethod("close", &Poller::Close),
                                             InstanceMethod("ref", &Poller::RefHandle),
                                             InstanceMethod("unref", &Poller::UnrefHandle),
                                             InstanceMethod("setBusyPoll", &Poller::SetBusyPoll),
                                         });
}

Poller::Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
  Napi::Env env = info.Env();

  // ---- arguments (a failure leaves an exception pending; node-addon-api
  // then deletes this half-built object) -----------------------------------
  int fd;
  Napi::ArrayBuffer memory;
  RxRegion r{};
  if (!ReadFd(env, info[0], &fd)) return;
  if (!ReadArrayBuffer(env, info[1], "Poller: memory", &memory)) return;
  if (!ReadU32(env, info[2], "Poller: slotBase", &r.slotBase)) return;
  if (!ReadU32(env, info[3], "Poller: slotSize", &r.slotSize)) return;
  if (!ReadU32(env, info[4], "Poller: maxSlots", &r.maxSlots)) return;
  if (!ReadU32(env, info[5], "Poller: lenBase", &r.lenBase)) return;
  if (!ReadU32(env, info[6], "Poller: lenStride", &r.lenStride)) return;
  if (r.slotSize == 0 || r.maxSlots == 0 || r.lenStride < 4) {
    // maxSlots 0 would leave a level-triggered fd readable forever.
    MakeRangeError(env, "Poller: slotSize and maxSlots must be at least 1, lenStride at least 4")
        .ThrowAsJavaScriptException();
    return;
  }
  if (!RxRegionFits(r, memory.ByteLength())) {
    MakeRangeError(env, "Poller: the receive region (slots and length words) does not fit in "
                        "memory of " + std::to_string(memory.ByteLength()) + " bytes")
        .ThrowAsJavaScriptException();
    return;
  }
  if (!info[7].IsFunction()) {
    MakeTypeError(env, "Poller: onFrames must be a function").ThrowAsJavaScriptException();
    return;
  }
  if (info.Length() > 8 && !info[8].IsUndefined() && !info[8].IsFunction()) {
    MakeTypeError(env, "Poller: onError must be a function or undefined")
        .ThrowAsJavaScriptException();
    return;
  }
  if (PollerHoldsFd(env, fd)) {
    MakeError(env, kErrInvalidArg,
              "Poller: fd " + std::to_string(fd) + " already has a Poller; close() that one first")
        .ThrowAsJavaScriptException();
    return;
  }

  // ---- the uv handle ------------------------------------------------------------
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    MakeError(env, kErrSyscall, "Poller: no libuv loop for this environment")
        .ThrowAsJavaScriptException();
    return;
  }
  uv_poll_t* handle = new uv_poll_t;
  int rc = uv_poll_init(loop, handle, fd);
  if (rc < 0) {
    delete handle;  // never initialised, so no uv_close
    MakeSysError(env, kErrSyscall, -rc, "uv_poll_init",
                 "Poller: cannot watch fd " + std::to_string(fd))
        .ThrowAsJavaScriptException();
    return;
  }
  handle->data = this;
  handle_ = handle;
  fd_ = fd;
  region_ = r;

  memory_ = Napi::Persistent(memory);  // strong: the buffer outlives us
  onFrames_ = Napi::Persistent(info[7].As<Napi::Function>());
  if (info.Length() > 8 && info[8].IsFunction()) {
    onError_ = Napi::Persistent(info[8].As<Napi::Function>());
  }
  async_ = std::make_unique<Napi::AsyncContext>(env, "wasagi:Poller", info.This().As<Napi::Object>());

  GetRegistry(env)->fds.insert(fd);
  if (napi_add_env_cleanup_hook(env, OnEnvCleanup, this) == napi_ok) cleanupHook_ = true;
}

Poller::~Poller() {
  // Collected (or torn down with the environment): the JS object is gone, so
  // there is no self-reference left to drop.
  selfRef_ = false;
  Release();
}

// ---- JavaScript methods --------------------------------------------------------

Napi::Value Poller::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || started_) return env.Undefined();
  int rc = uv_poll_start(handle_, UV_READABLE, OnPoll);
  if (rc < 0) {
    MakeSysError(env, kErrSyscall, -rc, "uv_poll_start",
                 "Poller: cannot start watching fd " + std::to_string(fd_))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  started_ = true;
  if (!selfRef_) {
    // A started Poller lives on while it may still call out, like a socket.
    Napi::Reference<Napi::Object>::Ref();
    selfRef_ = true;
  }
  return env.Undefined();
}

Napi::Value Poller::Stop(const Napi::CallbackInfo& info) {
  if (!closed_) StopPolling();
  return info.Env().Undefined();
}

Napi::Value Poller::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Value Poller::RefHandle(const Napi::CallbackInfo& info) {
  if (!closed_ && handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
  return info.This();
}

Napi::Value Poller::UnrefHandle(const Napi::CallbackInfo& info) {
  if (!closed_ && handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
  return info.This();
}

// ---- state changes -------------------------------------------------------------

void Poller::StopPolling() {
  if (started_) {
    uv_poll_stop(handle_);
    started_ = false;
  }
  if (selfRef_) {
    selfRef_ = false;
    Napi::Reference<Napi::Object>::Unref();
  }
}

void Poller::Release() {
  if (closed_) return;
  closed_ = true;
  StopPolling();
  if (handle_ != nullptr) {
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), OnHandleClosed);
    handle_ = nullptr;
  }
  if (fd_ >= 0) {
    if (Registry* reg = GetRegistry(Env())) reg->fds.erase(fd_);
  }
  if (cleanupHook_) {
    cleanupHook_ = false;
    napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
  }
  // Let go of the JavaScript values now rather than at collection: a callback
  // that closes over this Poller would otherwise keep both alive for good.
  // (The async context stays until ~Poller: close() may be running inside a
  // MakeCallback that uses it.)
  onFrames_.Reset();
  onError_.Reset();
  memory_.Reset();
}

// ---- libuv callbacks -----------------------------------------------------------

void Poller::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  Poller* self = static_cast<Poller*>(handle->data);
  if (self != nullptr) self->OnReadable(status);
}

void Poller::OnHandleClosed(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

void Poller::OnEnvCleanup(void* arg) {
  Poller* self = static_cast<Poller*>(arg);
  self->cleanupHook_ = false;  // being run, so already on its way out
  self->Release();
}

void Poller::OnReadable(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  // A local handle to our JS object keeps it alive through the calls below,
  // even if a callback closes us and drops the last other reference.
  Napi::Object self = Value();

  if (status < 0) {
    // libuv reports POLLERR as UV_EBADF and has already stopped the handle.
    // On a tun/tap fd this means the fd lost its device (it was deleted).
    Fail(env, self, MakeSysError(env, kErrSyscall, -status, "uv_poll",
                           "Poller: fd " + std::to_string(fd_) +
                               " reported an error condition (was its device deleted?)"));
    return;
  }

  Napi::ArrayBuffer memory = memory_.Value();
  uint8_t* base = static_cast<uint8_t*>(memory.Data());
  if (base == nullptr || !RxRegionFits(region_, memory.ByteLength())) {
    Fail(env, self, MakeRangeError(env, "Poller: the receive region no longer fits memory (was it "
                                  "detached by WebAssembly.Memory#grow()?)"));
    return;
  }

  BurstResult r = ReadBurst(fd_, base, region_);
  if (r.frames > 0) CallOut(env, self, onFrames_, Napi::Number::New(env, r.frames));
  if (r.err != 0 && !closed_) {
    Fail(env, self, MakeSysError(env, kErrSyscall, r.err, "read",
                           "Poller: read from fd " + std::to_string(fd_) + " failed"));
    return;
  }
  if (busyPollNs_ > 0 && r.frames > 0) BusyPoll(env, self, base);
}

// Busy polling (the idea of Linux's SO_BUSY_POLL): right after a burst the next
// frame is likely close behind, and catching it here skips the trip through
// epoll and the scheduler's wake-up path. Empty reads yield the CPU, so a peer
// on the same CPU (ping, a VM's vCPU thread) still runs. The window restarts
// after each frame but one call never holds the loop longer than
// kBusyPollMaxNs, so timers and sockets keep their turn.
static int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void Poller::BusyPoll(Napi::Env env, Napi::Object self, uint8_t* base) {
  constexpr int64_t kBusyPollMaxNs = 2000000;  // 2 ms
  const int64_t start = MonotonicNs();
  int64_t deadline = start + busyPollNs_;
  for (;;) {
    if (closed_ || !started_ || onFrames_.IsEmpty()) return;
    BurstResult r = ReadBurst(fd_, base, region_);
    if (r.frames > 0) {
      Napi::HandleScope inner(env);
      CallOut(env, self, onFrames_, Napi::Number::New(env, r.frames));
    }
    if (r.err != 0) {
      if (!closed_) {
        Fail(env, self, MakeSysError(env, kErrSyscall, r.err, "read",
                               "Poller: read from fd " + std::to_string(fd_) + " failed"));
      }
      return;
    }
    const int64_t now = MonotonicNs();
    if (r.frames > 0) deadline = now + busyPollNs_;
    if (now >= deadline || now - start >= kBusyPollMaxNs) return;
    if (r.frames == 0) sched_yield();
  }
}

Napi::Value Poller::SetBusyPoll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    MakeTypeError(env, "Poller.setBusyPoll(us): us must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double us = info[0].As<Napi::Number>().DoubleValue();
  if (!(us >= 0 && us <= 1000)) {
    MakeRangeError(env, "Poller.setBusyPoll(us): us must be 0..1000").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  busyPollNs_ = static_cast<int64_t>(us * 1000);
  return info.This();
}

void Poller::Fail(Napi::Env env, Napi::Object self, Napi::Error error) {
  StopPolling();
  if (!onError_.IsEmpty()) {
    CallOut(env, self, onError_, error.Value());
  } else {
    napi_fatal_exception(env, error.Value());
  }
}

void Poller::CallOut(Napi::Env env, Napi::Object self, const Napi::FunctionReference& fn,
                     napi_value arg) {
  if (fn.IsEmpty()) return;  // closed by an earlier callback
  fn.MakeCallback(self, {arg}, *async_);
  if (env.IsExceptionPending()) {
    // There is no JavaScript caller to throw to: report it as uncaught, the
    // way an exception from a socket's 'data' listener would be.
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace wasagi
