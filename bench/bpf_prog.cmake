# bpf_prog.cmake — one benchmark program to raw BPF bytecode (cmake -P):
#   clang -target bpf -O2 -mcpu=v3 -c SRC  ->  OBJ
#   check: the entry NAME is the first function of .text (the interpreter
#          starts at slot 0) and .text has no relocations (calls between
#          functions of one section are resolved by LLVM's assembler)
#   llvm-objcopy -O binary --only-section=.text OBJ  ->  OUT.objcopy
#   clang -S, then `bpftk asm -j .text` (our assembler, local calls
#   included)  ->  OUT.asm
# OUT is the bpftk asm output; the two must be the same bytes.  If bpftk
# asm fails or differs, a warning says so and OUT is the objcopy bytes.
# Variables: CLANG OBJCOPY OBJDUMP NM BPFTK SRC NAME OBJ OUT
foreach(v CLANG OBJCOPY OBJDUMP NM BPFTK SRC NAME OBJ OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "bpf_prog.cmake: ${v} not set")
  endif()
endforeach()

execute_process(
  COMMAND ${CLANG} -target bpf -O2 -mcpu=v3 -fno-strict-aliasing
          -Wall -Wextra -Werror -c ${SRC} -o ${OBJ}
  RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "bench: clang -target bpf failed on ${SRC}")
endif()

execute_process(COMMAND ${NM} --defined-only ${OBJ}
  OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(rc OR NOT syms MATCHES "0000000000000000 T ${NAME}\n")
  message(FATAL_ERROR "bench: ${NAME} is not the first function of .text in ${OBJ}:\n${syms}")
endif()

execute_process(COMMAND ${OBJDUMP} -r ${OBJ}
  OUTPUT_VARIABLE rels RESULT_VARIABLE rc)
if(rc OR rels MATCHES "RELOCATION RECORDS FOR \\[\\.text\\]")
  message(FATAL_ERROR "bench: ${OBJ} has relocations in .text (calls across sections or globals?):\n${rels}")
endif()

execute_process(
  COMMAND ${OBJCOPY} -O binary --only-section=.text ${OBJ} ${OUT}.objcopy
  RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "bench: llvm-objcopy failed on ${OBJ}")
endif()

execute_process(
  COMMAND ${CLANG} -target bpf -O2 -mcpu=v3 -fno-strict-aliasing
          -S ${SRC} -o ${OBJ}.s
  RESULT_VARIABLE rc)
if(NOT rc)
  execute_process(COMMAND ${BPFTK} asm -j .text -o ${OUT}.asm ${OBJ}.s
    RESULT_VARIABLE rc ERROR_VARIABLE err)
endif()
if(NOT rc)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}.asm
                          ${OUT}.objcopy RESULT_VARIABLE rc)
  if(rc)
    set(err "bpftk asm output differs from llvm-objcopy's")
  endif()
endif()
if(rc)
  message(WARNING "bench: ${NAME}: clang -S | bpftk asm did not give the "
          "bytes of the object (${err}); using llvm-objcopy's")
  set(from ${OUT}.objcopy)
else()
  set(from ${OUT}.asm)
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E copy ${from} ${OUT})
