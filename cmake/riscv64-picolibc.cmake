# SPDX-License-Identifier: BSD-2-Clause
# CMake toolchain file for bare-metal riscv64 with picolibc, the ABI kmem
# is built with (rv64gc, lp64d, medany; S-mode payloads bring their own
# entry, so -nostartfiles).  Installed as lib/cmake/kmem/riscv64-picolibc.cmake:
#   cmake -DCMAKE_TOOLCHAIN_FILE=$P/lib/cmake/kmem/riscv64-picolibc.cmake \
#         -DCMAKE_PREFIX_PATH=$P -S . -B build
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_AR riscv64-unknown-elf-ar)
set(CMAKE_OBJCOPY riscv64-unknown-elf-objcopy)
set(CMAKE_SIZE riscv64-unknown-elf-size)
set(_abi "--specs=picolibc.specs -march=rv64gc -mabi=lp64d -mcmodel=medany")
set(CMAKE_C_FLAGS_INIT "${_abi} -ffreestanding")
set(CMAKE_ASM_FLAGS_INIT "${_abi}")
# CMake links with CMAKE_C_FLAGS too: --specs must not come twice.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles")
unset(_abi)
# No crt0 to link a test program against: check the compiler on a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
