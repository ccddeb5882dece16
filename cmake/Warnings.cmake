# Warnings are errors on our own targets only; generated protobuf code and third-party headers
# are left alone (they are included as SYSTEM where we can).
function(exosphere_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
endfunction()
