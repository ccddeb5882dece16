# Sanitizer builds apply to everything we compile (our code, tests, generated protos) so that
# instrumented and uninstrumented frames never disagree about object layouts we own.
if(EXOSPHERE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EXOSPHERE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT EXOSPHERE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "EXOSPHERE_SANITIZE must be '', 'address' or 'thread', got '${EXOSPHERE_SANITIZE}'")
endif()
