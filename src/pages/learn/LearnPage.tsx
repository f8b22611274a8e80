// The teaching pages: one entry in the app's header, seven lessons under #/learn/<lesson>.
// Each lesson pairs a short explanation with controls; every number is computed by src/core.
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { i18n } from '../../i18n';
import { FormatsLesson } from './FormatsLesson';
import { TruncationLesson } from './TruncationLesson';
import { UniformLesson } from './UniformLesson';
import { GranularityLesson } from './GranularityLesson';
import { OutliersLesson } from './OutliersLesson';
import { CalibrationLesson } from './CalibrationLesson';
import { TourLesson } from './TourLesson';

export interface Lesson {
  id: string;
  /** The numbered title in the current language (learn:page.titles.<id>). */
  readonly title: string;
  render: () => ReactNode;
}

function lesson(id: string, render: () => ReactNode): Lesson {
  return {
    id,
    get title() {
      return i18n.t(`learn:page.titles.${id}`);
    },
    render,
  };
}

export const LESSONS: readonly Lesson[] = [
  lesson('formats', () => <FormatsLesson />),
  lesson('truncation', () => <TruncationLesson />),
  lesson('uniform', () => <UniformLesson />),
  lesson('granularity', () => <GranularityLesson />),
  lesson('outliers', () => <OutliersLesson />),
  lesson('calibration', () => <CalibrationLesson />),
  lesson('tour', () => <TourLesson />),
];

/** The lesson named by a hash like #/learn/formats (query part ignored); the first lesson otherwise. */
export function lessonIdFromHash(hash: string): string {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/');
  const id = parts[0] === 'learn' ? parts[1] : undefined;
  return LESSONS.some((l) => l.id === id) ? id! : LESSONS[0].id;
}

export function LearnPage() {
  const { t } = useTranslation('learn');
  const [lessonId, setLessonId] = useState(() => lessonIdFromHash(window.location.hash));
  useEffect(() => {
    const onHash = () => setLessonId(lessonIdFromHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const index = LESSONS.findIndex((l) => l.id === lessonId);
  const lesson = LESSONS[index];
  const prev = LESSONS[index - 1];
  const next = LESSONS[index + 1];
  return (
    <div className="flex flex-col gap-4 md:flex-row">
      <nav aria-label={t('page.lessons')} className="shrink-0 md:w-56">
        <ol className="flex flex-wrap gap-1 md:flex-col">
          {LESSONS.map((l) => (
            <li key={l.id}>
              <a
                href={`#/learn/${l.id}`}
                aria-current={l.id === lesson.id ? 'page' : undefined}
                className={`block rounded px-2 py-1 text-sm ${
                  l.id === lesson.id
                    ? 'bg-sky-100 font-semibold text-sky-950 dark:bg-sky-900 dark:text-sky-50'
                    : 'hover:bg-slate-100 hover:underline dark:hover:bg-slate-800'
                }`}
              >
                {l.title}
              </a>
            </li>
          ))}
        </ol>
      </nav>
      <article className="flex min-w-0 flex-1 flex-col gap-4" data-testid={`lesson-${lesson.id}`}>
        <h2 className="text-xl font-semibold">{lesson.title}</h2>
        {lesson.render()}
        <nav aria-label={t('page.prevNext')} className="mt-4 flex justify-between text-sm">
          {prev ? (
            <a className="text-sky-800 underline dark:text-sky-300" href={`#/learn/${prev.id}`}>
              ← {prev.title}
            </a>
          ) : (
            <span />
          )}
          {next && (
            <a className="text-sky-800 underline dark:text-sky-300" href={`#/learn/${next.id}`}>
              {next.title} →
            </a>
          )}
        </nav>
      </article>
    </div>
  );
}
