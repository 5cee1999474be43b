set(SPECWATCH_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual)
if(SPECWATCH_WERROR)
  list(APPEND SPECWATCH_WARNINGS -Werror)
endif()

if(SPECWATCH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # GCC 12 reports a false -Wrestrict inside libstdc++'s char_traits.h when
  # optimizing with sanitizers (GCC bug 105329); it is not in our code.
  list(APPEND SPECWATCH_WARNINGS -Wno-restrict)
endif()

# Applies our warning set to one of our own targets (not to third-party code).
function(specwatch_target target)
  target_compile_options(${target} PRIVATE ${SPECWATCH_WARNINGS})
endfunction()
