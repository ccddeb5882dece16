# Sanitizer builds apply to everything we compile (our code, tests, generated protos) so that
# instrumented and uninstrumented frames never disagree about object layouts we own.
#
# They are test builds: -O1 with line tables only keeps ASan's reports readable (file:line in
# every frame) while compiling and linking about a third faster than -O2 -g and running the tests
# no slower. The options come after CMAKE_CXX_FLAGS_<CONFIG> on the command line, so they win.
if(EXOSPHERE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EXOSPHERE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT EXOSPHERE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "EXOSPHERE_SANITIZE must be '', 'address' or 'thread', got '${EXOSPHERE_SANITIZE}'")
endif()
if(NOT EXOSPHERE_SANITIZE STREQUAL "")
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    add_compile_options(-O1 -gline-tables-only)
  else()
    add_compile_options(-O1 -g1)
  endif()
endif()
