// A non-owning reference to a callable (C++26's std::function_ref): a
// pointer to the callable and one to a function that calls it. For
// callbacks run once a packet or a line, where std::function's type
// erasure (a copy of the callable, a heap block past 16 bytes of captures,
// two indirect calls) costs more than the work. The callable must outlive
// the reference: pass lambdas to a call, never keep the reference.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace sw {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  // Null: testing it gives false, calling it is undefined.
  FunctionRef(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)

  // A function, held by its address.
  FunctionRef(R (*f)(Args...)) {  // NOLINT(google-explicit-constructor)
    if (f == nullptr) return;
    target_.function = reinterpret_cast<void (*)()>(f);
    call_ = [](Target t, Args... args) -> R {
      return reinterpret_cast<R (*)(Args...)>(t.function)(std::forward<Args>(args)...);
    };
  }

  // Any other callable (a lambda, a std::function), held by its address.
  // One that tests false (an empty std::function) makes a null reference.
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
             !std::is_function_v<std::remove_reference_t<F>> &&
             std::is_invocable_r_v<R, F&, Args...>)
  FunctionRef(F&& f) {  // NOLINT(google-explicit-constructor): like std::function
    if constexpr (std::is_constructible_v<bool, F&>) {
      if (!static_cast<bool>(f)) return;
    }
    target_.object = const_cast<void*>(static_cast<const void*>(std::addressof(f)));
    call_ = [](Target t, Args... args) -> R {
      return (*static_cast<std::remove_reference_t<F>*>(t.object))(std::forward<Args>(args)...);
    };
  }

  R operator()(Args... args) const { return call_(target_, std::forward<Args>(args)...); }
  explicit operator bool() const { return call_ != nullptr; }

 private:
  union Target {
    void* object;
    void (*function)();
  };
  Target target_{nullptr};
  R (*call_)(Target, Args...) = nullptr;
};

}  // namespace sw
