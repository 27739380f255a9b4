// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/exitreasons.h"

#include <algorithm>
#include <iterator>

namespace ExitScope::ExitReasons {

namespace {

struct Entry
{
    quint32 code;
    const char *name;
};

// arch/x86/include/uapi/asm/vmx.h, EXIT_REASON_*.
constexpr Entry VmxReasons[] = {
    {0, "EXCEPTION_NMI"},
    {1, "EXTERNAL_INTERRUPT"},
    {2, "TRIPLE_FAULT"},
    {3, "INIT_SIGNAL"},
    {4, "SIPI_SIGNAL"},
    {7, "INTERRUPT_WINDOW"},
    {8, "NMI_WINDOW"},
    {9, "TASK_SWITCH"},
    {10, "CPUID"},
    {12, "HLT"},
    {13, "INVD"},
    {14, "INVLPG"},
    {15, "RDPMC"},
    {16, "RDTSC"},
    {18, "VMCALL"},
    {19, "VMCLEAR"},
    {20, "VMLAUNCH"},
    {21, "VMPTRLD"},
    {22, "VMPTRST"},
    {23, "VMREAD"},
    {24, "VMRESUME"},
    {25, "VMWRITE"},
    {26, "VMOFF"},
    {27, "VMON"},
    {28, "CR_ACCESS"},
    {29, "DR_ACCESS"},
    {30, "IO_INSTRUCTION"},
    {31, "MSR_READ"},
    {32, "MSR_WRITE"},
    {33, "INVALID_STATE"},
    {34, "MSR_LOAD_FAIL"},
    {36, "MWAIT_INSTRUCTION"},
    {37, "MONITOR_TRAP_FLAG"},
    {39, "MONITOR_INSTRUCTION"},
    {40, "PAUSE_INSTRUCTION"},
    {41, "MCE_DURING_VMENTRY"},
    {43, "TPR_BELOW_THRESHOLD"},
    {44, "APIC_ACCESS"},
    {45, "EOI_INDUCED"},
    {46, "GDTR_IDTR"},
    {47, "LDTR_TR"},
    {48, "EPT_VIOLATION"},
    {49, "EPT_MISCONFIG"},
    {50, "INVEPT"},
    {51, "RDTSCP"},
    {52, "PREEMPTION_TIMER"},
    {53, "INVVPID"},
    {54, "WBINVD"},
    {55, "XSETBV"},
    {56, "APIC_WRITE"},
    {57, "RDRAND"},
    {58, "INVPCID"},
    {59, "VMFUNC"},
    {60, "ENCLS"},
    {61, "RDSEED"},
    {62, "PML_FULL"},
    {63, "XSAVES"},
    {64, "XRSTORS"},
    {67, "UMWAIT"},
    {68, "TPAUSE"},
    {74, "BUS_LOCK"},
    {75, "NOTIFY"},
};

// arch/x86/include/uapi/asm/svm.h, SVM_EXIT_*; 0x40 + vector for the exceptions.
constexpr Entry SvmReasons[] = {
    {0x000, "READ_CR0"},
    {0x002, "READ_CR2"},
    {0x003, "READ_CR3"},
    {0x004, "READ_CR4"},
    {0x008, "READ_CR8"},
    {0x010, "WRITE_CR0"},
    {0x012, "WRITE_CR2"},
    {0x013, "WRITE_CR3"},
    {0x014, "WRITE_CR4"},
    {0x018, "WRITE_CR8"},
    {0x020, "READ_DR0"},
    {0x021, "READ_DR1"},
    {0x022, "READ_DR2"},
    {0x023, "READ_DR3"},
    {0x024, "READ_DR4"},
    {0x025, "READ_DR5"},
    {0x026, "READ_DR6"},
    {0x027, "READ_DR7"},
    {0x030, "WRITE_DR0"},
    {0x031, "WRITE_DR1"},
    {0x032, "WRITE_DR2"},
    {0x033, "WRITE_DR3"},
    {0x034, "WRITE_DR4"},
    {0x035, "WRITE_DR5"},
    {0x036, "WRITE_DR6"},
    {0x037, "WRITE_DR7"},
    {0x040, "EXCP_DE"},
    {0x041, "EXCP_DB"},
    {0x042, "EXCP_NMI"},
    {0x043, "EXCP_BP"},
    {0x044, "EXCP_OF"},
    {0x045, "EXCP_BR"},
    {0x046, "EXCP_UD"},
    {0x047, "EXCP_NM"},
    {0x048, "EXCP_DF"},
    {0x049, "EXCP_9"},
    {0x04a, "EXCP_TS"},
    {0x04b, "EXCP_NP"},
    {0x04c, "EXCP_SS"},
    {0x04d, "EXCP_GP"},
    {0x04e, "EXCP_PF"},
    {0x04f, "EXCP_15"},
    {0x050, "EXCP_MF"},
    {0x051, "EXCP_AC"},
    {0x052, "EXCP_MC"},
    {0x053, "EXCP_XM"},
    {0x054, "EXCP_VE"},
    {0x055, "EXCP_CP"},
    {0x056, "EXCP_22"},
    {0x057, "EXCP_23"},
    {0x058, "EXCP_24"},
    {0x059, "EXCP_25"},
    {0x05a, "EXCP_26"},
    {0x05b, "EXCP_27"},
    {0x05c, "EXCP_HV"},
    {0x05d, "EXCP_VC"},
    {0x05e, "EXCP_SX"},
    {0x05f, "EXCP_31"},
    {0x060, "INTR"},
    {0x061, "NMI"},
    {0x062, "SMI"},
    {0x063, "INIT"},
    {0x064, "VINTR"},
    {0x065, "CR0_SEL_WRITE"},
    {0x066, "IDTR_READ"},
    {0x067, "GDTR_READ"},
    {0x068, "LDTR_READ"},
    {0x069, "TR_READ"},
    {0x06a, "IDTR_WRITE"},
    {0x06b, "GDTR_WRITE"},
    {0x06c, "LDTR_WRITE"},
    {0x06d, "TR_WRITE"},
    {0x06e, "RDTSC"},
    {0x06f, "RDPMC"},
    {0x070, "PUSHF"},
    {0x071, "POPF"},
    {0x072, "CPUID"},
    {0x073, "RSM"},
    {0x074, "IRET"},
    {0x075, "SWINT"},
    {0x076, "INVD"},
    {0x077, "PAUSE"},
    {0x078, "HLT"},
    {0x079, "INVLPG"},
    {0x07a, "INVLPGA"},
    {0x07b, "IOIO"},
    {0x07c, "MSR"},
    {0x07d, "TASK_SWITCH"},
    {0x07e, "FERR_FREEZE"},
    {0x07f, "SHUTDOWN"},
    {0x080, "VMRUN"},
    {0x081, "VMMCALL"},
    {0x082, "VMLOAD"},
    {0x083, "VMSAVE"},
    {0x084, "STGI"},
    {0x085, "CLGI"},
    {0x086, "SKINIT"},
    {0x087, "RDTSCP"},
    {0x088, "ICEBP"},
    {0x089, "WBINVD"},
    {0x08a, "MONITOR"},
    {0x08b, "MWAIT"},
    {0x08c, "MWAIT_COND"},
    {0x08d, "XSETBV"},
    {0x08e, "RDPRU"},
    {0x08f, "EFER_WRITE_TRAP"},
    {0x090, "CR0_WRITE_TRAP"},
    {0x091, "CR1_WRITE_TRAP"},
    {0x092, "CR2_WRITE_TRAP"},
    {0x093, "CR3_WRITE_TRAP"},
    {0x094, "CR4_WRITE_TRAP"},
    {0x095, "CR5_WRITE_TRAP"},
    {0x096, "CR6_WRITE_TRAP"},
    {0x097, "CR7_WRITE_TRAP"},
    {0x098, "CR8_WRITE_TRAP"},
    {0x099, "CR9_WRITE_TRAP"},
    {0x09a, "CR10_WRITE_TRAP"},
    {0x09b, "CR11_WRITE_TRAP"},
    {0x09c, "CR12_WRITE_TRAP"},
    {0x09d, "CR13_WRITE_TRAP"},
    {0x09e, "CR14_WRITE_TRAP"},
    {0x09f, "CR15_WRITE_TRAP"},
    {0x0a2, "INVPCID"},
    {0x400, "NPF"},
    {0x401, "AVIC_INCOMPLETE_IPI"},
    {0x402, "AVIC_UNACCELERATED_ACCESS"},
    {0x403, "VMGEXIT"},
};

template<std::size_t N>
const Entry *find(const Entry (&table)[N], quint32 code)
{
    const auto it = std::lower_bound(std::begin(table), std::end(table), code, [](const Entry &e, quint32 c) { return e.code < c; });
    return it != std::end(table) && it->code == code ? it : nullptr;
}

const Entry *lookup(CpuVendor vendor, quint32 code)
{
    switch (vendor) {
    case CpuVendor::IntelVmx:
        return find(VmxReasons, code);
    case CpuVendor::AmdSvm:
        return find(SvmReasons, code);
    case CpuVendor::Unknown:
        break;
    }
    return nullptr;
}

} // namespace

QString name(CpuVendor vendor, quint32 reason)
{
    if (const auto *entry = lookup(vendor, reason))
        return QString::fromLatin1(entry->name);
    return vendor == CpuVendor::AmdSvm ? QStringLiteral("0x%1").arg(reason, 3, 16, QLatin1Char('0'))
                                       : QStringLiteral("reason %1").arg(reason);
}

QVector<quint32> defined(CpuVendor vendor)
{
    QVector<quint32> codes;
    const auto add = [&codes](const auto &table) {
        for (const auto &entry : table)
            codes.append(entry.code);
    };
    if (vendor == CpuVendor::IntelVmx)
        add(VmxReasons);
    else if (vendor == CpuVendor::AmdSvm)
        add(SvmReasons);
    return codes;
}

std::optional<quint32> parse(CpuVendor vendor, const QString &text)
{
    const auto trimmed = text.trimmed();
    bool ok = false;
    const quint32 number = trimmed.startsWith(QLatin1String("0x"), Qt::CaseInsensitive) ? trimmed.mid(2).toUInt(&ok, 16)
                                                                                        : trimmed.toUInt(&ok, 10);
    if (ok)
        return number;
    for (const auto code : defined(vendor)) {
        if (name(vendor, code).compare(trimmed, Qt::CaseInsensitive) == 0)
            return code;
    }
    return std::nullopt;
}

} // namespace ExitScope::ExitReasons
