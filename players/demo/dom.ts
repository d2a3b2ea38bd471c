// The demo console's DOM helpers: lookups by id, the log and status lines, buttons that run a task.
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const input = (id: string) => $<HTMLInputElement>(id);

export function log(line: string): void {
  const el = $('log');
  el.textContent = `${new Date().toLocaleTimeString()} ${line}\n${el.textContent ?? ''}`.slice(0, 8000);
}

export function status(text: string): void {
  $('status').textContent = text;
}

export function textSpan(text: string, className = 'text'): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

/** Runs `task` for a button: disabled meanwhile, a failure goes to the log. */
function runFrom(button: HTMLButtonElement, task: () => Promise<unknown>): void {
  button.disabled = true;
  task()
    .catch((err: { code?: string; message?: string }) => log(`${err.code ?? 'error'}: ${err.message ?? String(err)}`))
    .finally(() => (button.disabled = false));
}

/** The page's button `id` runs `task` when clicked. */
export function onClick(id: string, task: () => Promise<unknown>): void {
  $(id).addEventListener('click', (e) => {
    e.preventDefault();
    runFrom(e.currentTarget as HTMLButtonElement, task);
  });
}

/** A small button inside a list item that runs `task`. */
export function itemButton(label: string, title: string, task: () => Promise<unknown>): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = 'small';
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', () => runFrom(b, task));
  return b;
}
