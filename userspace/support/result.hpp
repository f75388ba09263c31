// Errors as values: an errno-style code with context, and Result<T>.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cowprobe {

class Error {
 public:
  // what() is "context: strerror(code)".
  Error(int code, std::string context) : code_(code), context_(std::move(context)) {}
  // what() is "context: detail" ("detail" alone when context is empty);
  // detail is, for example, the kernel's extended ack message.
  Error(int code, std::string context, std::string detail)
      : code_(code), context_(std::move(context)), detail_(std::move(detail)) {}

  // A complete message, printed as is.
  static Error message(int code, std::string text) { return {code, {}, std::move(text)}; }
  // The current errno with context.
  static Error from_errno(std::string context);

  [[nodiscard]] int code() const { return code_; }
  [[nodiscard]] const std::string& context() const { return context_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }
  [[nodiscard]] std::string what() const;

 private:
  int code_;
  std::string context_;
  std::string detail_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace cowprobe
