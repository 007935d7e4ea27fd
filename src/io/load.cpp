// File readers and writers, and the pool that reads large tensors in parallel.
#include "mlx/io/load.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mlx::core::io {

ThreadPool::ThreadPool(size_t num_threads) {
  for (size_t i = 0; i < num_threads; ++i) {
    workers_.emplace_back([this] {
      for (;;) {
        std::function<void()> task;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
          if (stop_ && tasks_.empty()) {
            return;
          }
          task = std::move(tasks_.front());
          tasks_.pop();
        }
        task();
      }
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) {
    w.join();
  }
}

ThreadPool& thread_pool() {
  // Reads from the page cache are memory copies, so more threads than cores would not help.
  static ThreadPool pool(std::max(1u, std::thread::hardware_concurrency()));
  return pool;
}

namespace {

std::string errno_text() { return std::strerror(errno); }

int64_t resolve_seek(int64_t off, std::ios_base::seekdir way, int64_t pos, int64_t end) {
  if (way == std::ios_base::cur) {
    return pos + off;
  }
  if (way == std::ios_base::end) {
    return end + off;
  }
  return off;
}

}  // namespace

ParallelFileReader::ParallelFileReader(std::string file_path)
    : fd_(::open(file_path.c_str(), O_RDONLY | O_CLOEXEC)), path_(std::move(file_path)) {}

ParallelFileReader::~ParallelFileReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void ParallelFileReader::seek(int64_t off, std::ios_base::seekdir way) {
  int64_t end = 0;
  if (way == std::ios_base::end) {
    end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) {
      throw std::runtime_error("[ParallelFileReader] Cannot seek in " + label() + ": " +
                               errno_text());
    }
  }
  int64_t target = resolve_seek(off, way, static_cast<int64_t>(pos_), end);
  if (target < 0) {
    throw std::runtime_error("[ParallelFileReader] Seek before the start of " + label() + ".");
  }
  pos_ = static_cast<size_t>(target);
}

void ParallelFileReader::read(char* data, size_t n) {
  read(data, n, pos_);
  pos_ += n;
}

void ParallelFileReader::read_serial(char* data, size_t n, size_t offset) const {
  while (n > 0) {
    ssize_t got = ::pread(fd_, data, n, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error("[ParallelFileReader] Read error in " + label() + ": " +
                               errno_text());
    }
    if (got == 0) {
      throw std::runtime_error("[ParallelFileReader] Unexpected end of " + label() + " at byte " +
                               std::to_string(offset) + " (" + std::to_string(n) +
                               " more bytes expected).");
    }
    data += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<size_t>(got);
  }
}

void ParallelFileReader::read(char* data, size_t n, size_t offset) {
  if (fd_ < 0) {
    throw std::runtime_error("[ParallelFileReader] Cannot read " + label() + ": not open.");
  }
  if (offset > SIZE_MAX - n) {
    throw std::runtime_error("[ParallelFileReader] Read past the addressable end of " + label());
  }
  if (n <= batch_size_) {
    read_serial(data, n, offset);
    return;
  }
  // The calling thread reads the first batch while the pool reads the others.
  size_t batches = (n + batch_size_ - 1) / batch_size_;
  std::vector<std::future<void>> futures;
  futures.reserve(batches - 1);
  for (size_t b = 1; b < batches; ++b) {
    size_t start = b * batch_size_;
    size_t len = std::min(batch_size_, n - start);
    futures.push_back(thread_pool().enqueue(
        [this, data, start, len, offset] { read_serial(data + start, len, offset + start); }));
  }
  std::exception_ptr error;
  try {
    read_serial(data, batch_size_, offset);
  } catch (...) {
    error = std::current_exception();
  }
  for (auto& f : futures) {
    try {
      f.get();
    } catch (...) {
      if (!error) {
        error = std::current_exception();
      }
    }
  }
  if (error) {
    std::rethrow_exception(error);
  }
}

FileWriter::FileWriter(std::string file_path)
    : fd_(::open(file_path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644)),
      path_(std::move(file_path)) {}

FileWriter::~FileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

size_t FileWriter::tell() {
  off_t pos = ::lseek(fd_, 0, SEEK_CUR);
  return pos < 0 ? 0 : static_cast<size_t>(pos);
}

void FileWriter::seek(int64_t off, std::ios_base::seekdir way) {
  int whence = way == std::ios_base::cur   ? SEEK_CUR
               : way == std::ios_base::end ? SEEK_END
                                           : SEEK_SET;
  if (::lseek(fd_, static_cast<off_t>(off), whence) < 0) {
    ok_ = false;
    throw std::runtime_error("[FileWriter] Cannot seek in " + label() + ": " + errno_text());
  }
}

void FileWriter::write(const char* data, size_t n) {
  while (n > 0) {
    ssize_t put = ::write(fd_, data, n);
    if (put < 0) {
      if (errno == EINTR) {
        continue;
      }
      ok_ = false;
      throw std::runtime_error("[FileWriter] Write error in " + label() + ": " + errno_text());
    }
    data += put;
    n -= static_cast<size_t>(put);
  }
}

}  // namespace mlx::core::io
