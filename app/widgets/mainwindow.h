// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "series/exitseries.h"
#include "series/runcomparison.h"
#include "store/runinfo.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>
#include <QVector>

#include <memory>

class QAction;
class QMenu;
class QStackedWidget;
class QDockWidget;
class QCloseEvent;
class QLabel;
class QProgressBar;
class QTableView;

namespace ExitScope {

class ComparisonView;
class ReasonPlot;
class ExitPlot;
class WelcomePage;
class ReasonModel;
class DeployPanel;
class HostController;
class HostPanel;
class ExperimentDialog;
class RecordingSession;
class RunListModel;
class RunLoader;
class RunStore;
class SpanModel;
class UserPrompts;
struct SourceSpec;

// The workbench window: runs on the left, the live plot in the middle, what each span cost below.
// It holds no logic of its own: recording is the RecordingSession's, loading the RunLoader's,
// numbers the ExitSeries'.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Returns false (and shows why) if the store cannot be opened.
    bool openStore(const QString &path);
    // Starts recording into a new run.
    bool record(const SourceSpec &spec, const RunInfo &info = {});
    void stopRecording();
    void showRun(qint64 runId);
    // Connects the host panel to an L1 host's libvirt.
    void connectToHost(const QString &uri);
    // Records the agent of a guest on the connected host; bootGuest starts the guest once recording runs.
    bool recordAgent(const QString &uri, const QString &domain, bool bootGuest);
    // Records exitscope-probe on the host of a qemu+ssh URI.
    bool recordProbe(const QString &uri, int rateHz = 50);

    // Replaces the dialogs that ask the user (tests answer them).
    void setPrompts(std::unique_ptr<UserPrompts> prompts);

    bool exportCsv(const QString &path);
    bool exportImage(const QString &path, int width, int height);
    // Writes the shown run as a report folder (RunReport); false, with the error shown, on failure.
    bool writeReport(const QString &folder);
    // Loads the runs selected in the list (off the GUI thread, one after another) and shows them in
    // the comparison dock; comparisonShown() when it is there. False, with the error shown, when
    // fewer than two runs are selected.
    bool compareSelectedRuns();
    // Run ▸ Run an experiment: the dialog, made once and kept (also while it runs).
    ExperimentDialog *showExperimentDialog();
    ComparisonView *comparisonView() const { return m_comparisonView; }

    ExitPlot *plot() const { return m_plot; }
    const ExitSeries *series() const { return m_shown.get(); }
    RecordingSession *session() const { return m_session; }
    HostController *host() const { return m_host; }
    HostPanel *hostPanel() const { return m_hostPanel; }
    DeployPanel *deployPanel() const { return m_deployPanel; }
    QString lastError() const { return m_lastError; }

    // Recordings replayed, newest first (kept with QSettings), for Record ▸ Recent recordings.
    static constexpr int MaxRecentRecordings = 8;
    QStringList recentRecordings() const;

Q_SIGNALS:
    // A recording ended, well or not; used by --screenshot and tests.
    void recordingEnded(qint64 runId, bool ok);
    void runShown(qint64 runId);
    void comparisonShown();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    // Window layout and view options, kept in the user's settings across restarts.
    void restoreSettings();
    void saveSettings() const;

    void createActions();
    void refreshRunList();
    void updateActions();
    void updateStatus();
    void showSeries(std::shared_ptr<const ExitSeries> series);
    bool showingLiveRun() const;
    void reportError(const QString &message, const QString &details);
    void onRecordingEnded(qint64 runId, bool ok, const QString &message, const QString &details);
    void chooseReplay(bool paced);
    void rememberRecording(const QString &path);
    void fillRecentMenu();
    void updateReasons();
    void chooseCommand();
    void chooseExport(const QString &format);
    void chooseReport();
    void loadNextForComparison();
    void summarizeRange(double from, double to);
    // Asks where to save, starting in the folder of the last export; remembers the answer's folder.
    QString askSavePath(const QString &title, const QString &name, const QString &filter);
    void renameSelectedRun();
    void editNotesOfSelectedRun();
    void deleteSelectedRun();
    qint64 selectedRunId() const;

    std::unique_ptr<RunStore> m_store;
    RunListModel *m_runs;
    SpanModel *m_spans;
    ExitPlot *m_plot;
    QTableView *m_runView;
    QTableView *m_spanView;
    QLabel *m_status;
    QProgressBar *m_progress;
    RecordingSession *m_session;
    RunLoader *m_loader;
    HostController *m_host;
    HostPanel *m_hostPanel;
    DeployPanel *m_deployPanel;
    std::shared_ptr<ExitSeries> m_loaded;     // a stored run being shown
    std::shared_ptr<const ExitSeries> m_shown; // what the plot and the span table show
    qint64 m_shownRunId = -1;
    QString m_shownRunProblem; // the shown run's damage or interruption, for the status line
    std::unique_ptr<UserPrompts> m_prompts;
    QString m_lastError;

    QMenu *m_recent = nullptr;
    ReasonModel *m_reasons = nullptr;
    QDockWidget *m_reasonDock = nullptr;
    bool m_reasonsShownOnce = false;
    QStackedWidget *m_central = nullptr;
    WelcomePage *m_welcome = nullptr;
    QAction *m_replayPaced;
    QAction *m_replayFast;
    QAction *m_recordCommand;
    QAction *m_stop;
    QAction *m_exportCsv;
    QAction *m_exportPng;
    QAction *m_exportPdf;
    QAction *m_exportReasons = nullptr;
    QAction *m_writeReport = nullptr;
    QAction *m_compare = nullptr;
    QAction *m_experiment = nullptr;
    ExperimentDialog *m_experimentDialog = nullptr;
    QLabel *m_selection = nullptr;
    ReasonPlot *m_reasonPlot = nullptr;
    QElapsedTimer m_reasonPlotAge; // since the stacked reason plot was last rebuilt
    RunLoader *m_compareLoader;
    QVector<qint64> m_compareQueue;
    QVector<RunComparison::Entry> m_compareEntries;
    int m_compareTotal = 0;
    ComparisonView *m_comparisonView = nullptr;
    QDockWidget *m_comparisonDock = nullptr;
    QAction *m_rename;
    QAction *m_notes;
    QAction *m_delete;
    QAction *m_follow;
    QAction *m_logScale;
    QAction *m_subtractOwn;
};

} // namespace ExitScope
