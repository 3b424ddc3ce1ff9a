// poller.h — read readiness of a tun/tap fd on the Node main loop.
//
//   new Poller(fd, memory, slotBase, slotSize, maxSlots, lenBase, lenStride,
//              onFrames, onError?)
//   poller.start() / stop() / close() / ref() / unref()
//
// A libuv uv_poll_t watches the fd on the loop Node itself runs (no threads,
// no threadpool). When the fd becomes readable the native callback performs
// the same burst read as readBurst() into the given region of `memory` and,
// if it read n > 0 frames, calls onFrames(n) once: one native→JS crossing per
// burst. The poll is level-triggered, so frames left behind by a full burst
// fire again on the next loop turn.
//
// Lifetime, like a socket's: a started Poller keeps the loop alive (unless
// unref()'d) and keeps itself from being collected; a stopped one does
// neither. close() releases the uv handle; afterwards every method is a no-op.
//
// Errors during polling (the fd reports POLLERR, e.g. its device was deleted;
// a read fails with something other than EAGAIN; `memory` was detached by
// memory.grow()) stop the Poller and go to onError(err) if it was given,
// otherwise they surface as an uncaught exception. An exception thrown by
// onFrames or onError also surfaces as an uncaught exception.

#ifndef WASAGI_NATIVE_POLLER_H_
#define WASAGI_NATIVE_POLLER_H_

#include <napi.h>
#include <uv.h>

#include <memory>

#include "burst.h"

namespace wasagi {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  // Defines the JavaScript class.
  static Napi::Function DefineClass(Napi::Env env);

  explicit Poller(const Napi::CallbackInfo& info);
  ~Poller() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  // (Named so as not to hide ObjectWrap's own Ref()/Unref() of the JS object.)
  Napi::Value RefHandle(const Napi::CallbackInfo& info);
  Napi::Value UnrefHandle(const Napi::CallbackInfo& info);
  // setBusyPoll(us): after a burst, keep reading for up to `us` microseconds
  // (yielding the CPU between empty reads) before going back to epoll; 0 = off.
  Napi::Value SetBusyPoll(const Napi::CallbackInfo& info);

  // libuv callbacks.
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnHandleClosed(uv_handle_t* handle);
  static void OnEnvCleanup(void* arg);

  // The readiness path: burst read, then onFrames(n).
  void OnReadable(int status);
  void BusyPoll(Napi::Env env, Napi::Object self, uint8_t* base);
  // Stops polling and hands `error` to onError or to the uncaught-exception path.
  void Fail(Napi::Env env, Napi::Object self, Napi::Error error);
  // Calls `fn(arg)` with `this` = self through MakeCallback (so microtasks and
  // nextTicks run and async_hooks see it); a throw becomes an uncaught exception.
  void CallOut(Napi::Env env, Napi::Object self, const Napi::FunctionReference& fn,
               napi_value arg);

  // uv_poll_stop, and drop the self-reference that a started Poller holds.
  void StopPolling();
  // StopPolling, then uv_close the handle and forget the fd. Idempotent.
  void Release();

  int fd_ = -1;
  RxRegion region_{};
  uv_poll_t* handle_ = nullptr;  // owned; freed in OnHandleClosed
  bool started_ = false;
  int64_t busyPollNs_ = 0;
  bool closed_ = false;
  bool selfRef_ = false;      // holding a strong reference to our JS object
  bool cleanupHook_ = false;  // registered with napi_add_env_cleanup_hook

  Napi::Reference<Napi::ArrayBuffer> memory_;
  Napi::FunctionReference onFrames_;
  Napi::FunctionReference onError_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

// True if a Poller of this environment that has not been closed watches `fd`.
bool PollerHoldsFd(Napi::Env env, int fd);

// Per-environment state: created by the module initialiser.
void InitPollerRegistry(Napi::Env env);

}  // namespace wasagi

#endif  // WASAGI_NATIVE_POLLER_H_
