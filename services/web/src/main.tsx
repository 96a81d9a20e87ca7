import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { isApiError } from './api/client';
import { router } from './app';
import './index.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // Retry what may pass (503, network, timeouts), never what will not (4xx).
      retry: (count, e) => count < 3 && !(isApiError(e) && e.status >= 400 && e.status < 500 && e.status !== 429),
      retryDelay: (n) => Math.min(8000, 500 * 2 ** n),
    },
    mutations: { retry: false },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
