// SPDX-License-Identifier: GPL-3.0-or-later
// Deployment's parts that need no host (what the host script reports, the module cache key, the
// probe's reading) and the pipeline against a real sshd on 127.0.0.1 up to the point where it would
// change the host: inspection, refusals, the dry run.
#include "../ssh/loopbacksshd.h"
#include "deploy/deploypipeline.h"
#include "deploy/hostinspection.h"
#include "deploy/modulebuilder.h"
#include "deploy/probereading.h"
#include "protocol/streamwriter.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSysInfo>
#include <QTest>

using namespace ExitScope;

class TestDeploy : public QObject
{
    Q_OBJECT

private:
    TestFixture::LoopbackSshd m_sshd;
    QTemporaryDir m_dir;

    struct Outcome
    {
        bool ok = false;
        DeployFailure failure;
        QList<DeployStage> stages;
        QStringList log;
        HostInspection host;
    };

    Outcome runPipeline(DeployOptions options)
    {
        DeployPipeline pipeline;
        Outcome outcome;
        connect(&pipeline, &DeployPipeline::stageStarted, this, [&](DeployStage s) { outcome.stages << s; });
        connect(&pipeline, &DeployPipeline::stageLog, this, [&](DeployStage, const QString &line) { outcome.log << line; });
        connect(&pipeline, &DeployPipeline::hostInspected, this, [&](const HostInspection &h) { outcome.host = h; });
        QSignalSpy finished(&pipeline, &DeployPipeline::finished);
        QString why;
        if (!pipeline.start(options, &why)) {
            outcome.failure.message = why;
            return outcome;
        }
        if (!finished.wait(120000))
            return outcome;
        outcome.ok = finished.first().at(0).toBool();
        outcome.failure = finished.first().at(1).value<DeployFailure>();
        return outcome;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const auto problem = m_sshd.start();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void parsesWhatTheHostReports()
    {
        const auto host = HostInspection::parse("release=6.1.0-41-amd64\nkernel_version=6.1.158-1\narch=x86_64\n"
                                                "cpu_vendor=AuthenticAMD\nvirt=svm\nvendor_module=kvm_amd\nkvm_loaded=yes\n"
                                                "leaves_param=Y\ninstalled=yes\nguests_running=a,b c\nguests_defined=a,b c,d\nnoise without equals\n");
        QCOMPARE(host.release, QStringLiteral("6.1.0-41-amd64"));
        QCOMPARE(host.vendorModuleFile(), QStringLiteral("kvm-amd.ko"));
        QCOMPARE(host.runningGuests, QStringList({QStringLiteral("a"), QStringLiteral("b c")}));
        QCOMPARE(host.definedGuests, QStringList({QStringLiteral("a"), QStringLiteral("b c"), QStringLiteral("d")}));
        QVERIFY(host.runsExitScope());
        QCOMPARE(host.kvmState(), QStringLiteral("ExitScope, leaves on"));
        QString why;
        QVERIFY(host.isSupported(&why));

        auto stock = host;
        stock.leavesParameter = QStringLiteral("absent");
        QCOMPARE(stock.kvmState(), QStringLiteral("stock"));
        auto other = host;
        other.release = QStringLiteral("6.12.0-1-amd64");
        QVERIFY(!other.isSupported(&why));
        QVERIFY2(why.contains(QLatin1String("6.12.0-1-amd64")) && why.contains(QLatin1String("Linux 6.1")), qPrintable(why));
        auto noVirt = host;
        noVirt.virtualization = QStringLiteral("none");
        QVERIFY(!noVirt.isSupported(&why));
        QVERIFY(why.contains(QLatin1String("neither AMD SVM nor Intel VMX")));
        auto custom = host;
        custom.kernelVersion.clear();
        QVERIFY(!custom.isSupported(&why));
    }

    void moduleCacheKeyIsTheLabs()
    {
        // The lab (lab/labctl, hash_inputs) and the application must find each other's builds.
        ModuleBuilder::Request request{QStringLiteral(EXITSCOPE_SOURCE_DIR "/kernel-patch"), QStringLiteral("6.1.0-41-amd64"),
                                       QStringLiteral("6.1.158-1"), m_dir.path()};
        QString error;
        const auto directory = ModuleBuilder::cacheDirectory(request, &error);
        QVERIFY2(!directory.isEmpty(), qPrintable(error));
        const auto script = QStringLiteral(
            "cd '" EXITSCOPE_SOURCE_DIR "'; { printf 'value %s\\n' format=modules-1 release=6.1.0-41-amd64 kernel=6.1.158-1;"
            " find \"$PWD/kernel-patch\" -type f ! -path '*/.*' | LC_ALL=C sort | while read -r f; do"
            " printf 'file %s %s\\n' \"${f#\"$PWD\"/}\" \"$(sha256sum <\"$f\" | cut -d' ' -f1)\"; done; } | sha256sum | cut -c1-16");
        QProcess shell;
        shell.start(QStringLiteral("bash"), {QStringLiteral("-c"), script});
        QVERIFY(shell.waitForFinished(30000));
        const auto key = QString::fromLatin1(shell.readAllStandardOutput()).trimmed();
        QCOMPARE(key.size(), 16);
        QCOMPARE(directory, m_dir.path() + QStringLiteral("/modules/6.1.0-41-amd64-") + key);
        QVERIFY(!ModuleBuilder::isCached(directory));

        request.kernelPatchDir = m_dir.filePath(QStringLiteral("nowhere"));
        QVERIFY(ModuleBuilder::cacheDirectory(request, &error).isEmpty());
        QVERIFY(error.contains(QLatin1String("build-modules was not found")));
    }

    // The build ID is what tells the loaded module from another build on the host (sysfs shows the
    // same note); it must match what readelf reads.
    void buildIdIsReadelfs()
    {
        const auto binary = QStringLiteral("/bin/true");
        QProcess readelf;
        readelf.start(QStringLiteral("readelf"), {QStringLiteral("-n"), binary});
        QVERIFY(readelf.waitForFinished(30000));
        const auto match = QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromLatin1(readelf.readAllStandardOutput()));
        QVERIFY2(match.hasMatch(), "readelf shows no build ID for /bin/true");
        QCOMPARE(ModuleBuilder::buildId(binary), match.captured(1));
        QVERIFY(ModuleBuilder::buildId(m_dir.filePath(QStringLiteral("missing.ko"))).isEmpty());
    }

    void probeReadingTellsLeavesFromNone()
    {
        QByteArray stream;
        Handshake hello;
        hello.sourceKind = SourceKind::HostProbe;
        hello.abiVersion = 1;
        StreamWriter::append(stream, hello);
        for (quint64 i = 1; i <= 3; ++i) {
            Sample s;
            s.seq = i;
            s.exits = quint32(100 * i);
            StreamWriter::append(stream, s);
        }
        auto reading = ProbeReading::fromStream(stream);
        QVERIFY(reading.leavesAnswer());
        QCOMPARE(reading.samples, 3);
        QCOMPARE(reading.lastExits, quint64(300));

        QByteArray refused;
        hello.abiVersion = 0;
        StreamWriter::append(refused, hello);
        ErrorRecord e;
        e.seq = 1;
        e.code = 1;
        e.text = QStringLiteral("leaf not present");
        StreamWriter::append(refused, e);
        reading = ProbeReading::fromStream(refused);
        QVERIFY(!reading.leavesAnswer());
        QCOMPARE(reading.errorCode, quint16(1));
        QCOMPARE(reading.errorText, QStringLiteral("leaf not present"));
        QVERIFY(!ProbeReading::fromStream(QByteArray("not a stream at all")).leavesAnswer());
    }

    void optionsThatCannotRunAreRefusedAtOnce()
    {
        DeployPipeline pipeline;
        QString why;
        DeployOptions options;
        options.uri = QStringLiteral("qemu:///system");
        QVERIFY(!pipeline.start(options, &why));
        QVERIFY(why.contains(QLatin1String("over SSH")));
        options.uri = m_sshd.uri();
        options.probeBinary = m_dir.filePath(QStringLiteral("no-probe"));
        QVERIFY(!pipeline.start(options, &why));
        QVERIFY(why.contains(QLatin1String("exitscope-probe was not found")));
        QVERIFY(!pipeline.isRunning());
    }

    void aChangedHostKeyIsRefusedBeforeAnythingRuns()
    {
        DeployOptions options;
        options.uri = m_sshd.uri(QStringLiteral("changed_known_hosts"));
        options.probeBinary = QStringLiteral("/bin/true");
        const auto outcome = runPipeline(options);
        QVERIFY(!outcome.ok);
        QCOMPARE(outcome.failure.code, DeployError::HostKeyRefused);
        QCOMPARE(outcome.failure.stage, DeployStage::Inspect);
        QCOMPARE(outcome.stages, QList<DeployStage>{DeployStage::Inspect});
        QVERIFY(outcome.failure.message.contains(QLatin1String("not the one on record")));
    }

    void aNewHostKeyIsRecordedOnlyWhenAsked()
    {
        const auto knownHosts = m_sshd.path(QStringLiteral("deploy_known_hosts"));
        QFile::remove(knownHosts);
        QVERIFY(QFile(knownHosts).open(QIODevice::WriteOnly));
        DeployOptions options;
        options.uri = m_sshd.uri(QStringLiteral("deploy_known_hosts"));
        options.probeBinary = QStringLiteral("/bin/true");
        options.dryRun = true;
        auto outcome = runPipeline(options);
        QCOMPARE(outcome.failure.code, DeployError::HostKeyRefused);
        QVERIFY(outcome.failure.message.contains(QLatin1String("not a known SSH host")));
        QCOMPARE(QFileInfo(knownHosts).size(), 0);
        options.acceptNewHostKey = true;
        outcome = runPipeline(options);
        QVERIFY(outcome.failure.code != DeployError::HostKeyRefused);
        QCOMPARE(outcome.host.release, QSysInfo::kernelVersion()); // it got in and inspected
        QVERIFY(QFileInfo(knownHosts).size() > 0);
        // Recorded: the next time it is known, without asking.
        options.acceptNewHostKey = false;
        outcome = runPipeline(options);
        QCOMPARE(outcome.host.release, QSysInfo::kernelVersion());
    }

    void inspectsThisMachineAndGoesNoFurtherInADryRun()
    {
        // This machine, reached over SSH, is the host: what the host script reports must be its own.
        DeployOptions options;
        options.uri = m_sshd.uri();
        options.probeBinary = QStringLiteral("/bin/true");
        options.dryRun = true;
        options.cacheRoot = m_dir.filePath(QStringLiteral("cache"));
        const auto outcome = runPipeline(options);
        QCOMPARE(outcome.host.release, QSysInfo::kernelVersion());
        QCOMPARE(outcome.host.arch, QSysInfo::currentCpuArchitecture() == QLatin1String("x86_64") ? QStringLiteral("x86_64")
                                                                                                   : outcome.host.arch);
        QVERIFY(!outcome.host.cpuVendor.isEmpty());
        QString why;
        if (outcome.host.isSupported(&why)) {
            QVERIFY2(outcome.ok, qPrintable(outcome.failure.message));
            QVERIFY(outcome.log.join(QLatin1Char('\n')).contains(QLatin1String("nothing was changed")));
        } else {
            QVERIFY(!outcome.ok);
            QCOMPARE(outcome.failure.code, DeployError::HostUnsupported);
            QVERIFY2(outcome.failure.advice.contains(QLatin1String("The series serves")), qPrintable(outcome.failure.advice));
        }
        QVERIFY(!outcome.stages.contains(DeployStage::Upload));
        QVERIFY(!QFileInfo::exists(QStringLiteral("/var/lib/exitscope-deploy")));
    }
};

QTEST_GUILESS_MAIN(TestDeploy)
#include "tst_deploy.moc"
