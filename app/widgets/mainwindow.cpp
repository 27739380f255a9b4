// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "aboutdialog.h"
#include "comparisonview.h"
#include "experimentdialog.h"
#include "deploypanel.h"
#include "exitplot.h"
#include "hostpanel.h"
#include "protocol/exitreasons.h"
#include "recording/recorder.h"
#include "recording/recordingsession.h"
#include "recording/sourcespec.h"
#include "reasonmodel.h"
#include "reasonplot.h"
#include "runlistmodel.h"
#include "report/runreport.h"
#include "series/csvexporter.h"
#include "spanmodel.h"
#include "store/runloader.h"
#include "store/outputguard.h"
#include "store/runstore.h"
#include "userprompts.h"
#include "welcomepage.h"
#include "virt/hostcontroller.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ExitScope {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_store(std::make_unique<RunStore>())
    , m_runs(new RunListModel(this))
    , m_spans(new SpanModel(this))
    , m_plot(new ExitPlot(this))
    , m_runView(new QTableView(this))
    , m_spanView(new QTableView(this))
    , m_status(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_session(new RecordingSession(m_store.get(), this))
    , m_loader(new RunLoader(this))
    , m_host(new HostController(this))
    , m_hostPanel(new HostPanel(m_host, this))
    , m_deployPanel(new DeployPanel(this))
    , m_prompts(std::make_unique<UserPrompts>())
    , m_compareLoader(new RunLoader(this))
{
    setWindowTitle(tr("ExitScope"));

    m_spanView->setObjectName(QStringLiteral("spanView"));
    m_spanView->setModel(m_spans);
    m_spanView->horizontalHeader()->setSectionResizeMode(SpanModel::WhatColumn, QHeaderView::Stretch);
    m_spanView->verticalHeader()->hide();
    m_spanView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_spanView->setAlternatingRowColors(true);

    // What a stretch chosen on the plot cost (Shift+drag), above the spans.
    m_selection = new QLabel(this);
    m_selection->setObjectName(QStringLiteral("selectionSummary"));
    m_selection->setWordWrap(true);
    m_selection->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto spanPanel = new QWidget(this);
    auto spanLayout = new QVBoxLayout(spanPanel);
    spanLayout->setContentsMargins(0, 0, 0, 0);
    spanLayout->addWidget(m_selection);
    spanLayout->addWidget(m_spanView);
    connect(m_plot, &ExitPlot::rangeSelected, this, &MainWindow::summarizeRange);
    // A click on a span zooms the plot to it.
    connect(m_spanView, &QTableView::clicked, this, [this](const QModelIndex &index) {
        if (index.row() < m_spans->spans().size()) {
            const auto &span = m_spans->spans().at(index.row());
            m_plot->showRange(span.start, span.end);
        }
    });

    auto splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_plot);
    splitter->addWidget(spanPanel);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    // The welcome page until there is a run to show.
    m_welcome = new WelcomePage(this);
    m_central = new QStackedWidget(this);
    m_central->addWidget(m_welcome);
    m_central->addWidget(splitter);
    setCentralWidget(m_central);

    m_runView->setModel(m_runs);
    m_runView->setSelectionBehavior(QAbstractItemView::SelectRows);
    // More than one row selected: the runs to compare (Run ▸ Compare); the current row is the one shown.
    m_runView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runView->verticalHeader()->hide();
    m_runView->horizontalHeader()->setSectionResizeMode(RunListModel::NameColumn, QHeaderView::Stretch);
    m_runView->setColumnHidden(RunListModel::HostColumn, true);
    auto dock = new QDockWidget(tr("Runs"), this);
    dock->setObjectName(QStringLiteral("runs"));
    dock->setWidget(m_runView);
    m_runView->setMinimumWidth(380);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    auto hostDock = new QDockWidget(tr("Host"), this);
    hostDock->setObjectName(QStringLiteral("host"));
    hostDock->setWidget(m_hostPanel);
    addDockWidget(Qt::LeftDockWidgetArea, hostDock);
    connect(m_hostPanel, &HostPanel::errorOccurred, this, &MainWindow::reportError);

    // Exit reasons, as kvm_stat lists them: sortable, filtered by name.
    m_reasons = new ReasonModel(this);
    auto reasonProxy = new QSortFilterProxyModel(this);
    reasonProxy->setSourceModel(m_reasons);
    reasonProxy->setSortRole(Qt::EditRole);
    reasonProxy->setFilterKeyColumn(ReasonModel::ReasonColumn);
    reasonProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    auto reasonPanel = new QWidget(this);
    auto reasonLayout = new QVBoxLayout(reasonPanel);
    reasonLayout->setContentsMargins(0, 0, 0, 0);
    auto reasonFilter = new QLineEdit(reasonPanel);
    reasonFilter->setObjectName(QStringLiteral("reasonFilter"));
    reasonFilter->setPlaceholderText(tr("Filter reasons…"));
    reasonFilter->setClearButtonEnabled(true);
    connect(reasonFilter, &QLineEdit::textChanged, reasonProxy, &QSortFilterProxyModel::setFilterFixedString);
    auto reasonView = new QTableView(reasonPanel);
    reasonView->setObjectName(QStringLiteral("reasonView"));
    reasonView->setModel(reasonProxy);
    reasonView->setSortingEnabled(true);
    reasonView->sortByColumn(ReasonModel::ExitsColumn, Qt::DescendingOrder);
    reasonView->verticalHeader()->hide();
    reasonView->setAlternatingRowColors(true);
    // Below the table, the top reasons' rates over time, stacked.
    m_reasonPlot = new ReasonPlot(reasonPanel);
    auto reasonSplitter = new QSplitter(Qt::Vertical, reasonPanel);
    reasonSplitter->addWidget(reasonView);
    reasonSplitter->addWidget(m_reasonPlot);
    reasonLayout->addWidget(reasonFilter);
    reasonLayout->addWidget(reasonSplitter);
    m_reasonDock = new QDockWidget(tr("Exit reasons"), this);
    m_reasonDock->setObjectName(QStringLiteral("reasons"));
    m_reasonDock->setWidget(reasonPanel);
    addDockWidget(Qt::RightDockWidgetArea, m_reasonDock);
    m_reasonDock->hide(); // shown when a run sampled reasons (agent --reasons), or from the View menu

    m_comparisonView = new ComparisonView(this);
    m_comparisonDock = new QDockWidget(tr("Comparison"), this);
    m_comparisonDock->setObjectName(QStringLiteral("comparison"));
    m_comparisonDock->setWidget(m_comparisonView);
    addDockWidget(Qt::BottomDockWidgetArea, m_comparisonDock);
    m_comparisonDock->hide(); // Run ▸ Compare selected runs

    auto deployDock = new QDockWidget(tr("Deployment"), this);
    deployDock->setObjectName(QStringLiteral("deployment"));
    deployDock->setWidget(m_deployPanel);
    addDockWidget(Qt::RightDockWidgetArea, deployDock);
    deployDock->hide(); // View ▸ Deployment, or the Host menu's Deploy
    m_deployPanel->setUriProvider([this] { return m_hostPanel->uri(); });
    m_hostPanel->setPromptsProvider([this] { return m_prompts.get(); });
    connect(m_deployPanel, &DeployPanel::errorOccurred, this, &MainWindow::reportError);
    connect(m_deployPanel, &DeployPanel::hostBusyChanged, m_hostPanel, &HostPanel::setHostBusy);
    connect(m_deployPanel, &DeployPanel::deploymentFinished, this, [this] {
        // A reboot dropped libvirt's connection: take it up again.
        const auto uri = m_hostPanel->uri();
        if (!uri.isEmpty() && !m_host->isConnected() && !m_host->isConnecting())
            m_host->connectTo(uri);
    });
    connect(m_welcome, &WelcomePage::connectRequested, this, [this, hostDock] {
        hostDock->show();
        hostDock->raise();
        m_hostPanel->setFocus();
    });
    connect(m_welcome, &WelcomePage::replayRequested, this, [this](const QString &path) { record(SourceSpec::replay(path, true)); });
    connect(m_welcome, &WelcomePage::chooseRecordingRequested, this, [this] { chooseReplay(true); });
    connect(m_welcome, &WelcomePage::recordCommandRequested, this, &MainWindow::chooseCommand);
    connect(m_hostPanel, &HostPanel::recordAgentRequested, this, &MainWindow::recordAgent);
    connect(m_hostPanel, &HostPanel::recordProbeRequested, this, [this](const QString &uri) { recordProbe(uri); });
    connect(m_hostPanel, &HostPanel::agentCommandRequested, this, [this](const QString &line) {
        if (!m_session->sendCommand(line))
            statusBar()->showMessage(tr("No guest agent is being recorded: “%1” was not sent").arg(line), 10000);
    });

    m_progress->setMaximumWidth(220);
    m_progress->setRange(0, 1000);
    m_progress->hide();
    m_status->setObjectName(QStringLiteral("runSummary"));
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_progress);

    createActions();

    connect(m_runView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
        const auto run = m_runs->run(current.row());
        if (run && run->id != m_shownRunId)
            showRun(run->id);
        updateActions();
    });
    connect(m_session, &RecordingSession::updated, this, [this] {
        if (showingLiveRun()) {
            m_plot->scheduleUpdate();
            m_spans->setSpans(m_shown->spans());
            updateReasons();
        }
        updateStatus();
    });
    connect(m_session, &RecordingSession::progress, this, [this](qint64 done, qint64 total) {
        m_progress->setVisible(done < total);
        m_progress->setValue(total > 0 ? int(done * 1000 / total) : 0);
    });
    connect(m_session, &RecordingSession::senderError, this, [this](const ErrorRecord &e) {
        statusBar()->showMessage(tr("Sender reports: %1").arg(e.text), 10000);
    });
    connect(m_session, &RecordingSession::senderConnectionChanged, this, [this](bool open, const QString &reason) {
        statusBar()->showMessage(open ? tr("Sender connected") : tr("Sender disconnected: %1").arg(reason), 10000);
    });
    connect(m_session, &RecordingSession::hostCountersRead, this, [this](bool, const QString &message) {
        statusBar()->showMessage(message, 10000);
    });
    connect(m_session, &RecordingSession::waitingForSender, this, [this] { updateStatus(); });
    connect(m_session, &RecordingSession::storeBlocked, this, [this](qint64 pending, qint64 blockedMs) {
        statusBar()->showMessage(tr("Another program has locked the run database for %1 s: %2 record(s) wait in "
                                    "memory and are stored when it lets go")
                                     .arg(QLocale().toString(blockedMs / 1000.0, 'f', 0))
                                     .arg(QLocale().toString(pending)));
    });
    connect(m_session, &RecordingSession::storeResumed, this, [this](qint64 blockedMs) {
        statusBar()->showMessage(tr("The run database is free again after %1 s; nothing was lost")
                                     .arg(QLocale().toString(blockedMs / 1000.0, 'f', 1)),
                                 10000);
    });
    connect(m_session, &RecordingSession::ended, this,
            [this](qint64 runId, RecordingSession::Outcome outcome, const ParserStats &stats, const QString &message,
                   const QString &details) {
                const bool ok = outcome == RecordingSession::Outcome::Completed || outcome == RecordingSession::Outcome::Stopped;
                const auto damage = ok && stats.damaged() ? Recorder::damageText(stats) : QString();
                if (showingLiveRun())
                    m_shownRunProblem = damage;
                onRecordingEnded(runId, ok, message, details);
                // Said once, loudly, when it happens; the status line and the run list keep saying it.
                if (!damage.isEmpty())
                    reportError(tr("Run %1 is stored as damaged").arg(runId), damage);
            });
    connect(m_loader, &RunLoader::progress, this, [this](int permille) {
        m_progress->setVisible(permille < 1000);
        m_progress->setValue(permille);
    });
    connect(m_loader, &RunLoader::loaded, this, [this](const RunInfo &info, std::shared_ptr<ExitSeries> series) {
        m_progress->hide();
        m_loaded = std::move(series);
        m_shownRunId = info.id;
        // A damaged or interrupted run says so whenever it is shown, not only while it was recorded.
        m_shownRunProblem = info.state == RunInfo::State::Damaged || info.state == RunInfo::State::Interrupted
            ? RunInfo::stateName(info.state) + QStringLiteral(": ") + info.failure
            : QString();
        showSeries(m_loaded);
        Q_EMIT runShown(info.id);
    });
    connect(m_loader, &RunLoader::failed, this, [this](qint64 runId, const QString &message) {
        m_progress->hide();
        reportError(tr("Run %1 cannot be shown").arg(runId), message);
    });
    connect(m_compareLoader, &RunLoader::loaded, this, [this](const RunInfo &info, std::shared_ptr<ExitSeries> series) {
        const auto name = RunInfo::cleanName(info.name);
        m_compareEntries.append({name.isEmpty() ? tr("run %1").arg(info.id) : tr("run %1 %2").arg(info.id).arg(name), std::move(series)});
        loadNextForComparison();
    });
    connect(m_compareLoader, &RunLoader::failed, this, [this](qint64 runId, const QString &message) {
        m_compareQueue.clear();
        m_compareEntries.clear();
        updateActions();
        reportError(tr("The runs cannot be compared"), tr("Run %1 cannot be loaded: %2").arg(runId).arg(message));
    });
    connect(m_runView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::updateActions);
    connect(m_plot, &ExitPlot::followLiveChanged, m_follow, &QAction::setChecked);
    resize(1280, 800);
    restoreSettings();
    updateActions();
    updateStatus();
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    if (const auto geometry = settings.value(QStringLiteral("window/geometry")).toByteArray(); !geometry.isEmpty())
        restoreGeometry(geometry);
    if (const auto state = settings.value(QStringLiteral("window/state")).toByteArray(); !state.isEmpty())
        restoreState(state);
    m_follow->setChecked(settings.value(QStringLiteral("view/followLive"), true).toBool());
    m_logScale->setChecked(settings.value(QStringLiteral("view/logScale"), false).toBool());
    m_subtractOwn->setChecked(settings.value(QStringLiteral("view/subtractOwn"), false).toBool());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("view/followLive"), m_follow->isChecked());
    settings.setValue(QStringLiteral("view/logScale"), m_logScale->isChecked());
    settings.setValue(QStringLiteral("view/subtractOwn"), m_subtractOwn->isChecked());
}

QStringList MainWindow::recentRecordings() const
{
    return QSettings().value(QStringLiteral("recent/recordings")).toStringList();
}

void MainWindow::rememberRecording(const QString &path)
{
    const auto absolute = QFileInfo(path).absoluteFilePath();
    auto recent = recentRecordings();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > MaxRecentRecordings)
        recent.removeLast();
    QSettings().setValue(QStringLiteral("recent/recordings"), recent);
}

void MainWindow::fillRecentMenu()
{
    m_recent->clear();
    const auto recent = recentRecordings();
    for (const auto &path : recent) {
        auto action = m_recent->addAction(QFileInfo(path).fileName(), this, [this, path] {
            if (!QFileInfo::exists(path)) {
                reportError(tr("%1 is gone").arg(QDir::toNativeSeparators(path)), tr("It was moved or deleted since it was replayed."));
                return;
            }
            record(SourceSpec::replay(path, true));
        });
        action->setToolTip(QDir::toNativeSeparators(path));
        action->setStatusTip(QDir::toNativeSeparators(path));
        action->setEnabled(!m_session->isActive());
    }
    if (recent.isEmpty()) {
        m_recent->addAction(tr("No recordings replayed yet"))->setEnabled(false);
        return;
    }
    m_recent->addSeparator();
    m_recent->addAction(tr("&Clear the list"), this, [] { QSettings().remove(QStringLiteral("recent/recordings")); });
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

MainWindow::~MainWindow()
{
    // The session writes to the store: it must finish before the store goes.
    delete m_session;
}

void MainWindow::setPrompts(std::unique_ptr<UserPrompts> prompts)
{
    m_prompts = std::move(prompts);
}

void MainWindow::createActions()
{
    auto file = menuBar()->addMenu(tr("&Record"));
    m_replayPaced = file->addAction(tr("Replay a recording at &recorded speed…"), this, [this] { chooseReplay(true); });
    m_replayPaced->setShortcut(QKeySequence::Open);
    m_replayFast = file->addAction(tr("Replay a recording &fast…"), this, [this] { chooseReplay(false); });
    m_recordCommand = file->addAction(tr("Record a &command's output…"), this, &MainWindow::chooseCommand);
    m_stop = file->addAction(tr("&Stop recording"), this, &MainWindow::stopRecording);
    m_stop->setShortcut(Qt::Key_Escape);
    m_recent = file->addMenu(tr("Recen&t recordings"));
    m_recent->setObjectName(QStringLiteral("recentRecordings"));
    connect(m_recent, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    file->addSeparator();
    m_exportCsv = file->addAction(tr("Export &CSV…"), this, [this] { chooseExport(QStringLiteral("csv")); });
    m_exportPng = file->addAction(tr("Export &PNG…"), this, [this] { chooseExport(QStringLiteral("png")); });
    m_exportPdf = file->addAction(tr("Export P&DF…"), this, [this] { chooseExport(QStringLiteral("pdf")); });
    m_exportReasons = file->addAction(tr("Export exit &reasons as CSV…"), this, [this] { chooseExport(QStringLiteral("reasons")); });
    m_exportReasons->setToolTip(tr("One row per reading of each sampled exit reason (docs/csv.md)"));
    m_writeReport = file->addAction(tr("Write a r&eport…"), this, &MainWindow::chooseReport);
    m_writeReport->setToolTip(tr("A new folder with index.html (description, totals, plot, spans, exit reasons, "
                                 "markers), the plot as PNG and the CSVs"));
    file->addSeparator();
    file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows)->setShortcut(QKeySequence::Quit);

    auto run = menuBar()->addMenu(tr("R&un"));
    m_rename = run->addAction(tr("&Rename…"), this, &MainWindow::renameSelectedRun);
    m_notes = run->addAction(tr("Edit &notes…"), this, &MainWindow::editNotesOfSelectedRun);
    m_delete = run->addAction(tr("&Delete…"), this, &MainWindow::deleteSelectedRun);
    run->addSeparator();
    m_compare = run->addAction(tr("&Compare selected runs"), this, &MainWindow::compareSelectedRuns);
    m_compare->setToolTip(tr("Select two or more runs in the list (Ctrl+click): their exits per second overlaid, "
                             "their spans side by side"));

    run->addSeparator();
    m_experiment = run->addAction(tr("Run an &experiment…"), this, &MainWindow::showExperimentDialog);
    m_experiment->setObjectName(QStringLiteral("runExperiment"));
    m_experiment->setToolTip(tr("A recipe (boot cost, idle baseline, disk, CPU, CPUID storm or your own) repeated on "
                                "a guest of the host, each repetition a run, summarized with its spread"));

    auto hostMenu = menuBar()->addMenu(tr("&Host"));
    if (auto deployDock = findChild<QDockWidget *>(QStringLiteral("deployment"))) {
        auto deploy = hostMenu->addAction(tr("&Deploy ExitScope's KVM…"), this, [deployDock] {
            deployDock->show();
            deployDock->raise();
        });
        deploy->setObjectName(QStringLiteral("showDeployment"));
        deploy->setToolTip(tr("Put the patched KVM modules and the probe on the host, activate and verify them, or revert."));
    }

    auto view = menuBar()->addMenu(tr("&View"));
    m_follow = view->addAction(tr("&Follow live data"));
    m_follow->setCheckable(true);
    m_follow->setChecked(true);
    connect(m_follow, &QAction::toggled, m_plot, &ExitPlot::setFollowLive);
    m_logScale = view->addAction(tr("&Logarithmic exit rate"));
    m_logScale->setCheckable(true);
    connect(m_logScale, &QAction::toggled, m_plot, &ExitPlot::setLogScale);
    auto reasonsAction = m_reasonDock->toggleViewAction();
    reasonsAction->setText(tr("&Exit reasons"));
    reasonsAction->setObjectName(QStringLiteral("showReasons"));
    view->addAction(reasonsAction);
    view->addSeparator();
    m_subtractOwn = view->addAction(tr("&Subtract the sampler's own exits"));
    m_subtractOwn->setCheckable(true);
    m_subtractOwn->setToolTip(tr("Every CPUID the sampler executes is one exit; leave them out of the rates."));
    connect(m_subtractOwn, &QAction::toggled, this, [this](bool on) {
        m_session->setSubtractOwnExits(on);
        if (m_loaded)
            m_loaded->setSubtractOwnExits(on);
        if (m_shown)
            showSeries(m_shown);
    });

    auto help = menuBar()->addMenu(tr("&Help"));
    auto about = help->addAction(tr("&About ExitScope"), this, [this] {
        AboutDialog dialog(this);
        dialog.exec();
    });
    about->setObjectName(QStringLiteral("about"));
    about->setMenuRole(QAction::AboutRole);

    // Named for tests and for saved toolbar layouts.
    const std::pair<QAction *, const char *> named[] = {
        {m_replayPaced, "replayPaced"}, {m_replayFast, "replayFast"}, {m_recordCommand, "recordCommand"},
        {m_stop, "stop"},               {m_exportCsv, "exportCsv"},   {m_exportPng, "exportPng"},
        {m_exportPdf, "exportPdf"},     {m_exportReasons, "exportReasons"},     {m_writeReport, "writeReport"}, {m_compare, "compareRuns"}, {m_rename, "renameRun"},      {m_notes, "editNotes"},
        {m_delete, "deleteRun"},        {m_follow, "followLive"},     {m_logScale, "logScale"},
        {m_subtractOwn, "subtractOwn"},
    };
    for (const auto &[action, name] : named)
        action->setObjectName(QLatin1String(name));

    auto toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("main"));
    toolbar->addActions({m_replayPaced, m_recordCommand, m_stop});
    toolbar->addSeparator();
    toolbar->addActions({m_exportCsv, m_exportPng});
    toolbar->addSeparator();
    toolbar->addActions({m_follow, m_subtractOwn});
}

bool MainWindow::openStore(const QString &path)
{
    if (!m_store->open(path)) {
        reportError(tr("The run database cannot be opened"), m_store->lastError());
        return false;
    }
    setWindowTitle(tr("ExitScope — %1").arg(path));
    refreshRunList();
    return true;
}

void MainWindow::refreshRunList()
{
    const auto keep = m_shownRunId;
    QSignalBlocker blocker(m_runView->selectionModel());
    m_runs->setRuns(m_store->listRuns());
    const int row = m_runs->rowOfRun(keep);
    if (row >= 0)
        m_runView->selectRow(row);
    updateActions();
}

bool MainWindow::record(const SourceSpec &spec, const RunInfo &info)
{
    if (!m_store->isOpen()) {
        reportError(tr("No run database is open"), {});
        return false;
    }
    RecordingSession::Options options;
    options.info = info;
    options.subtractOwnExits = m_subtractOwn->isChecked();
    if (m_host->isConnected() && m_host->host().uri == spec.uri)
        options.host = m_host;
    if (!m_session->start(spec, options)) {
        reportError(tr("The recording cannot start"), m_session->lastError());
        return false;
    }
    if (spec.kind == SourceSpec::Kind::Replay)
        rememberRecording(spec.path);
    // Only now that the new run exists is the old view let go; a failed start leaves it as it was.
    m_loader->cancel();
    m_loaded.reset();
    m_shownRunId = m_session->runId();
    m_shownRunProblem.clear();
    showSeries(m_session->series());
    m_plot->setFollowLive(true);
    m_hostPanel->setAgentRecording(m_session->acceptsCommands());
    refreshRunList();
    return true;
}

void MainWindow::connectToHost(const QString &uri)
{
    m_hostPanel->setUri(uri);
    m_host->connectTo(uri);
}

bool MainWindow::recordAgent(const QString &uri, const QString &domain, bool bootGuest)
{
    RunInfo info;
    info.name = bootGuest ? tr("boot of %1").arg(domain) : tr("agent of %1").arg(domain);
    info.host = m_host->host().hostname;
    info.guest = domain;
    // The session opens the agent's channel first and then starts the guest, so the boot is whole.
    return record(SourceSpec::guestAgent(uri, domain, bootGuest), info);
}

bool MainWindow::recordProbe(const QString &uri, int rateHz)
{
    const auto spec = SourceSpec::hostProbe(uri, rateHz);
    if (const auto problem = spec.validate(); !problem.isEmpty()) {
        reportError(tr("The host probe cannot be started"), problem);
        return false;
    }
    RunInfo info;
    info.host = m_host->host().hostname;
    return record(spec, info);
}

void MainWindow::stopRecording()
{
    m_session->stop();
}

void MainWindow::onRecordingEnded(qint64 runId, bool ok, const QString &message, const QString &details)
{
    m_progress->hide();
    m_hostPanel->setAgentRecording(false);
    if (showingLiveRun()) {
        m_plot->refreshNow();
        m_spans->setSpans(m_shown->spans());
        m_reasonPlotAge.invalidate(); // the last readings, whatever the throttle skipped
        updateReasons();
    }
    refreshRunList();
    updateStatus();
    if (!ok && runId < 0) {
        m_shownRunId = -1;
        reportError(tr("Recording stopped: %1").arg(message),
                    details + (details.isEmpty() ? QString() : QStringLiteral("\n\n"))
                        + tr("Nothing was received, so no run was kept."));
    } else if (!ok) {
        // Said from what the store holds: when the store is what failed, less was kept than received.
        RunInfo stored;
        const qint64 received = m_session->series() ? m_session->series()->size() : 0;
        const auto kept = !m_store->runInfo(runId, &stored) ? tr("The run cannot be read back: %1").arg(m_store->lastError())
            : stored.sampleCount < received
            ? tr("The run holds %1 of the %2 samples received; the rest could not be stored.").arg(stored.sampleCount).arg(received)
            : tr("Everything received before this was stored.");
        reportError(tr("Recording of run %1 stopped: %2").arg(runId).arg(message),
                    details + (details.isEmpty() ? QString() : QStringLiteral("\n\n")) + kept);
    }
    Q_EMIT recordingEnded(runId, ok);
}

void MainWindow::showRun(qint64 runId)
{
    if (m_session->isActive() && runId == m_session->runId()) {
        m_shownRunId = runId;
        m_shownRunProblem.clear();
        m_loaded.reset();
        showSeries(m_session->series());
        return;
    }
    m_progress->setValue(0);
    m_progress->show();
    m_loader->load(m_store->path(), runId, m_subtractOwn->isChecked());
}

void MainWindow::summarizeRange(double from, double to)
{
    const QLocale locale;
    const auto summary = m_shown ? m_shown->summarize(from, to) : RangeSummary{};
    if (!summary.valid) {
        m_selection->setText(tr("%1 – %2 s holds fewer than two samples: drag across more of the run.")
                                 .arg(locale.toString(from, 'f', 3), locale.toString(to, 'f', 3)));
        return;
    }
    const double seconds = summary.end - summary.start;
    auto text = tr("%1 – %2 s (%3 s, between samples): %4 exits, %5 exits/s, %6 cycles, %7 cycles/exit, %8 of "
                   "them the sampler's own")
                    .arg(locale.toString(summary.start, 'f', 3), locale.toString(summary.end, 'f', 3),
                         locale.toString(seconds, 'f', 3), locale.toString(qulonglong(summary.exits)),
                         seconds > 0 ? locale.toString(double(summary.exits) / seconds, 'f', 1) : QStringLiteral("–"),
                         locale.toString(qulonglong(summary.cycles)),
                         summary.exits ? locale.toString(double(summary.cycles) / double(summary.exits), 'f', 0)
                                       : QStringLiteral("–"),
                         locale.toString(qulonglong(summary.ownCpuids)));
    if (!summary.reasons.isEmpty()) {
        quint64 sampled = 0;
        for (const auto &r : summary.reasons)
            sampled += r.deltaExits;
        QStringList top;
        for (int i = 0; i < qMin(5, int(summary.reasons.size())); ++i) {
            const auto &r = summary.reasons.at(i);
            top << tr("%1 %2 (%3 %)")
                       .arg(ExitReasons::name(m_shown->cpuVendor(), r.reason), locale.toString(qulonglong(r.deltaExits)),
                            sampled ? locale.toString(100.0 * double(r.deltaExits) / double(sampled), 'f', 1)
                                    : QStringLiteral("–"));
        }
        text += tr("; by reason: %1").arg(top.join(QStringLiteral(", ")));
    }
    m_selection->setText(text);
}

void MainWindow::showSeries(std::shared_ptr<const ExitSeries> series)
{
    m_selection->setText(tr("Shift+drag across the plot to measure a stretch; click a span to zoom to it."));
    m_shown = std::move(series);
    RunInfo info;
    m_plot->setTitle(m_shownRunId >= 0 && m_store->runInfo(m_shownRunId, &info) ? RunReport::title(info) : QString());
    m_plot->setSeries(m_shown);
    m_spans->setSpans(m_shown ? m_shown->spans() : QVector<Span>{});
    m_reasons->clear();
    updateReasons();
    updateActions();
    updateStatus();
}

void MainWindow::updateReasons()
{
    if (!m_shown)
        return;
    const bool had = m_reasons->rowCount() > 0;
    m_reasons->update(*m_shown);
    // The stack is rebuilt from every reading: while a run records, at most once a second.
    const bool live = showingLiveRun() && m_session->isActive();
    if (!live || !m_reasonPlotAge.isValid() || m_reasonPlotAge.elapsed() >= 1000) {
        m_reasonPlotAge.start();
        m_reasonPlot->setStack(ReasonStack::build(*m_shown), m_shown->cpuVendor());
    }
    // The table comes into view when a run first shows reasons; closed by the user, it stays closed.
    if (!had && m_reasons->rowCount() > 0 && !m_reasonsShownOnce) {
        m_reasonsShownOnce = true;
        m_reasonDock->show();
    }
}

bool MainWindow::showingLiveRun() const
{
    return m_shown && m_shown == m_session->series();
}

void MainWindow::updateStatus()
{
    if (!m_shown || m_shown->isEmpty()) {
        if (m_session->phase() == RecordingSession::Phase::WaitingForSender)
            m_status->setText(tr("Recording %1: waiting for the sender (%2 s)…")
                                  .arg(m_session->info().source)
                                  .arg(int(m_session->elapsedSeconds())));
        else if (m_session->isActive())
            m_status->setText(tr("Recording %1: waiting for samples…").arg(m_session->info().source));
        else
            m_status->setText(tr("Replay a recording or record a command to begin."));
        return;
    }
    const auto &s = *m_shown;
    const int last = s.size() - 1;
    const double rate = s.exitsPerSecond(last);
    QStringList parts = {
        tr("%1 samples over %2 s").arg(QLocale().toString(s.size())).arg(QLocale().toString(s.duration(), 'f', 1)),
        tr("%1 exits").arg(QLocale().toString(s.totalExits())),
    };
    if (!std::isnan(rate))
        parts << tr("now %1 exits/s").arg(QLocale().toString(rate, 'f', 0));
    if (s.resetCount() > 0)
        parts << tr("%n counter reset(s)", nullptr, s.resetCount());
    if (showingLiveRun() && m_session->isActive()) {
        const auto stats = m_session->streamStats();
        if (stats.lostRecords > 0)
            parts << tr("%n record(s) lost in transit", nullptr, int(stats.lostRecords));
        if (stats.malformed > 0)
            parts << tr("%n damaged stretch(es) skipped", nullptr, int(stats.malformed));
    } else if (!m_shownRunProblem.isEmpty()) {
        parts << m_shownRunProblem;
    }
    m_status->setText(parts.join(QStringLiteral(" · ")));
}

void MainWindow::updateActions()
{
    const bool recording = m_session->isActive();
    const bool haveData = m_shown && !m_shown->isEmpty();
    const bool haveSelection = selectedRunId() >= 0;
    // One recording at a time: an experiment records too, into the same store.
    const bool experimenting = m_experimentDialog && m_experimentDialog->isRunning();
    m_replayPaced->setEnabled(!recording && !experimenting);
    m_replayFast->setEnabled(!recording && !experimenting);
    m_recordCommand->setEnabled(!recording && !experimenting);
    m_experiment->setEnabled(!recording);
    m_stop->setEnabled(recording);
    m_exportCsv->setEnabled(haveData);
    m_exportPng->setEnabled(haveData);
    m_exportPdf->setEnabled(haveData);
    m_exportReasons->setEnabled(haveData && !m_shown->reasonPoints().isEmpty());
    m_writeReport->setEnabled(haveData && m_shownRunId >= 0);
    m_compare->setEnabled(m_runView->selectionModel()->selectedRows().size() >= 2 && m_compareQueue.isEmpty()
                          && !m_compareLoader->isBusy());
    m_rename->setEnabled(haveSelection);
    m_notes->setEnabled(haveSelection);
    m_delete->setEnabled(haveSelection && !(recording && selectedRunId() == m_session->runId()));
    m_central->setCurrentIndex(m_shownRunId < 0 && !recording ? 0 : 1);
}

void MainWindow::reportError(const QString &message, const QString &details)
{
    m_lastError = details.isEmpty() ? message : message + QStringLiteral(": ") + details;
    qWarning("%s", qPrintable(m_lastError));
    if (QGuiApplication::platformName() == QLatin1String("offscreen"))
        return; // nobody to click the box away
    QMessageBox box(QMessageBox::Warning, tr("ExitScope"), message, QMessageBox::Ok, this);
    if (!details.isEmpty()) {
        box.setInformativeText(details.section(QLatin1Char('\n'), 0, 0));
        box.setDetailedText(details);
    }
    box.exec();
}

void MainWindow::chooseReplay(bool paced)
{
    const auto path = m_prompts->openFile(this, tr("Replay a recording"), tr("ExitScope recordings (*.exs);;All files (*)"));
    if (path.isEmpty())
        return;
    record(SourceSpec::replay(path, paced));
}

void MainWindow::chooseCommand()
{
    bool ok = false;
    const auto command = m_prompts->text(this, tr("Record a command's output"),
                                         tr("Command that writes the sample stream to its standard output,\n"
                                            "e.g. ssh root@host exitscope-probe --rate 50"),
                                         {}, &ok);
    if (!ok || command.trimmed().isEmpty())
        return;
    record(SourceSpec::command(command));
}

void MainWindow::chooseExport(const QString &format)
{
    const bool reasons = format == QLatin1String("reasons");
    const auto filter = format == QLatin1String("csv") || reasons ? tr("CSV (*.csv)")
        : format == QLatin1String("png")                          ? tr("PNG image (*.png)")
                                                                  : tr("PDF (*.pdf)");
    const auto suggested = reasons ? QStringLiteral("run-%1-reasons.csv").arg(m_shownRunId)
                                   : QStringLiteral("run-%1.%2").arg(m_shownRunId).arg(format);
    auto path = askSavePath(tr("Export"), suggested, filter);
    if (path.isEmpty())
        return;
    OutputGuard guard;
    guard.protect(m_store->path(), tr("the run database"), OutputGuard::Kind::Database);
    const auto refusal = guard.refusal(path);
    if (!refusal.isEmpty()) {
        reportError(tr("Not exported"), refusal);
        return;
    }
    if (format == QLatin1String("csv")) {
        exportCsv(path);
        return;
    }
    if (reasons) {
        QString error;
        if (!m_shown || !CsvExporter::writeReasonsFile(*m_shown, path, &error))
            reportError(tr("CSV export failed"), error.isEmpty() ? tr("There is no run to export.") : error);
        else
            statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
        return;
    }
    bool ok = false;
    const auto size = m_prompts->text(this, tr("Export size"), tr("Width × height in pixels:"), QStringLiteral("1600x900"), &ok);
    if (!ok)
        return;
    const auto match = QRegularExpression(QStringLiteral("^\\s*(\\d+)\\s*[x×]\\s*(\\d+)\\s*$")).match(size);
    if (!match.hasMatch()) {
        reportError(tr("“%1” is not a size").arg(size), tr("Write it as WIDTHxHEIGHT, e.g. 1600x900."));
        return;
    }
    exportImage(path, match.captured(1).toInt(), match.captured(2).toInt());
}

QString MainWindow::askSavePath(const QString &title, const QString &name, const QString &filter)
{
    // Exports go where the last one went: a student writing a report exports into one folder.
    QSettings settings;
    const auto folder = settings.value(QStringLiteral("export/lastFolder")).toString();
    const auto path = m_prompts->saveFile(this, title, folder.isEmpty() ? name : QDir(folder).filePath(name), filter);
    if (!path.isEmpty())
        settings.setValue(QStringLiteral("export/lastFolder"), QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::chooseReport()
{
    const auto folder = askSavePath(tr("Write a report into a new folder"), QStringLiteral("run-%1-report").arg(m_shownRunId),
                                    tr("Folder (*)"));
    if (folder.isEmpty())
        return;
    OutputGuard guard;
    guard.protect(m_store->path(), tr("the run database"), OutputGuard::Kind::Database);
    const auto refusal = guard.refusal(folder);
    if (!refusal.isEmpty()) {
        reportError(tr("No report written"), refusal);
        return;
    }
    writeReport(folder);
}

bool MainWindow::writeReport(const QString &folder)
{
    RunInfo info;
    if (!m_shown || m_shownRunId < 0 || !m_store->runInfo(m_shownRunId, &info)) {
        reportError(tr("No report written"), m_shown ? m_store->lastError() : tr("There is no run to report."));
        return false;
    }
    // The plot as it is on screen (view options included), at the size of an exported image.
    const auto writePlot = [this](const QString &path, QString *error) { return m_plot->savePng(path, 1600, 900, error); };
    QString error;
    if (!RunReport::write(folder, info, *m_shown, writePlot, &error)) {
        reportError(tr("No report written"), error);
        return false;
    }
    statusBar()->showMessage(tr("Wrote the report %1").arg(QDir(folder).filePath(QLatin1String(RunReport::PageFile))), 5000);
    return true;
}

bool MainWindow::exportCsv(const QString &path)
{
    QString error;
    if (!m_shown || !CsvExporter::writeFile(*m_shown, path, &error)) {
        reportError(tr("CSV export failed"), error.isEmpty() ? tr("There is no run to export.") : error);
        return false;
    }
    statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
    return true;
}

bool MainWindow::exportImage(const QString &path, int width, int height)
{
    QString error;
    const bool pdf = path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive);
    const bool ok = pdf ? m_plot->savePdf(path, width, height, &error) : m_plot->savePng(path, width, height, &error);
    if (!ok) {
        reportError(tr("Export failed"), error);
        return false;
    }
    statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
    return true;
}

ExperimentDialog *MainWindow::showExperimentDialog()
{
    if (!m_experimentDialog) {
        m_experimentDialog = new ExperimentDialog(m_store.get(), m_store->path(), this);
        connect(m_experimentDialog, &ExperimentDialog::runStored, this, &MainWindow::refreshRunList);
        connect(m_experimentDialog, &ExperimentDialog::experimentFinished, this, &MainWindow::updateActions);
        connect(m_experimentDialog->runner(), &ExperimentRunner::connecting, this, &MainWindow::updateActions);
    }
    if (!m_experimentDialog->isRunning() && !m_hostPanel->uri().isEmpty())
        m_experimentDialog->setUri(m_hostPanel->uri());
    m_experimentDialog->show();
    m_experimentDialog->raise();
    updateActions();
    return m_experimentDialog;
}

bool MainWindow::compareSelectedRuns()
{
    auto rows = m_runView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QVector<qint64> ids;
    for (const auto &index : rows)
        if (const auto run = m_runs->run(index.row()))
            ids.append(run->id);
    if (ids.size() < 2) {
        reportError(tr("Nothing to compare"), tr("Select two or more runs in the list (Ctrl+click or Shift+click)."));
        return false;
    }
    m_compareQueue = ids;
    m_compareTotal = int(ids.size());
    m_compareEntries.clear();
    loadNextForComparison();
    return true;
}

void MainWindow::loadNextForComparison()
{
    if (m_compareQueue.isEmpty()) {
        m_comparisonView->setComparison(std::make_shared<const RunComparison>(m_compareEntries));
        m_compareEntries.clear();
        m_comparisonDock->show();
        m_comparisonDock->raise();
        statusBar()->showMessage(tr("Comparing %n runs", nullptr, m_compareTotal), 5000);
        updateActions();
        Q_EMIT comparisonShown();
        return;
    }
    const qint64 runId = m_compareQueue.takeFirst();
    statusBar()->showMessage(tr("Loading run %1 for the comparison (%2 of %3)…")
                                 .arg(runId)
                                 .arg(m_compareTotal - m_compareQueue.size())
                                 .arg(m_compareTotal));
    updateActions();
    m_compareLoader->load(m_store->path(), runId, m_subtractOwn->isChecked());
}

qint64 MainWindow::selectedRunId() const
{
    const auto run = m_runs->run(m_runView->currentIndex().row());
    return run ? run->id : -1;
}

void MainWindow::renameSelectedRun()
{
    const auto run = m_runs->run(m_runView->currentIndex().row());
    if (!run)
        return;
    // The run list may be replaced while the dialog is open (a recording ends): keep copies.
    const qint64 id = run->id;
    const QString oldName = run->name;
    bool ok = false;
    const auto name = m_prompts->text(this, tr("Rename run"), tr("Name:"), oldName, &ok);
    if (ok && !name.trimmed().isEmpty()) {
        if (!m_store->renameRun(id, name.trimmed()))
            reportError(tr("The run cannot be renamed"), m_store->lastError());
        refreshRunList();
    }
}

void MainWindow::editNotesOfSelectedRun()
{
    const auto run = m_runs->run(m_runView->currentIndex().row());
    if (!run)
        return;
    // The run list may be replaced while the dialog is open (a recording ends): keep copies.
    const qint64 id = run->id;
    const QString oldNotes = run->notes;
    bool ok = false;
    const auto notes = m_prompts->multiLineText(this, tr("Notes"), tr("Notes on run %1:").arg(id), oldNotes, &ok);
    if (ok) {
        if (!m_store->setNotes(id, notes))
            reportError(tr("The notes cannot be saved"), m_store->lastError());
        refreshRunList();
    }
}

void MainWindow::deleteSelectedRun()
{
    const auto run = m_runs->run(m_runView->currentIndex().row());
    if (!run)
        return;
    const auto id = run->id;
    if (!m_prompts->confirm(this, tr("Delete run"),
                              tr("Delete run %1 “%2” and its %3 samples? This cannot be undone.")
                                  .arg(id)
                                  .arg(run->name)
                                  .arg(run->sampleCount)))
        return;
    if (!m_store->deleteRun(id))
        reportError(tr("The run cannot be deleted"), m_store->lastError());
    if (id == m_shownRunId) {
        m_loaded.reset();
        m_shownRunId = -1;
        m_shownRunProblem.clear();
        showSeries(nullptr);
    }
    refreshRunList();
}

} // namespace ExitScope
