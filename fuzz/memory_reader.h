// The fuzz input as an io::Reader: reads outside it throw, like a file's reader at its end.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "mlx/io/load.h"

class MemoryReader : public mlx::core::io::Reader {
 public:
  MemoryReader(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way) override {
    pos_ = way == std::ios_base::beg   ? off
           : way == std::ios_base::cur ? pos_ + off
                                       : data_.size() + off;
  }
  void read(char* out, size_t n) override {
    read(out, n, pos_);
    pos_ += n;
  }
  void read(char* out, size_t n, size_t offset) override {
    if (offset > data_.size() || n > data_.size() - offset) {
      throw std::runtime_error("read past the end");
    }
    std::memcpy(out, data_.data() + offset, n);
  }
  std::string label() const override { return "fuzz input"; }

 private:
  // A copy, so that the lazily read arrays never see the fuzzer's buffer after it is reused.
  std::string data_;
  size_t pos_{0};
};
