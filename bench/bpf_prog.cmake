# bpf_prog.cmake — one benchmark program to raw BPF bytecode (cmake -P):
#   clang -target bpf -O2 -mcpu=v3 -c SRC  ->  OBJ
#   check: the entry NAME is the first function of .text (the interpreter
#          starts at slot 0) and .text has no relocations (calls between
#          functions of one section are resolved by the assembler)
#   llvm-objcopy -O binary --only-section=.text OBJ  ->  OUT
# Variables: CLANG OBJCOPY OBJDUMP NM SRC NAME OBJ OUT
foreach(v CLANG OBJCOPY OBJDUMP NM SRC NAME OBJ OUT)
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
  COMMAND ${OBJCOPY} -O binary --only-section=.text ${OBJ} ${OUT}
  RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "bench: llvm-objcopy failed on ${OBJ}")
endif()
